/** The emulator's admin and library API. */
import { EMULATOR } from "./test-env.ts";

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${EMULATOR}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<T>;
}

/** The emulator's admin API. */
export const emulator = {
  stats: () =>
    admin<{
      refreshes: number;
      writes: number;
      pending: number;
      codeExchanges: number;
      imports: number;
      fhirPushes: number;
      userDeletions: number;
      requests: Record<
        | "authorize"
        | "token"
        | "postbox"
        | "keySet"
        | "consent"
        | "library"
        | "import"
        | "fhir"
        | "accounts"
        | "user",
        number
      >;
      faults: { delayed: number; errors: number; dropped: number };
    }>("GET", "/admin/stats"),
  resetStats: () => admin("DELETE", "/admin/stats"),
  expireTokens: (filter: Record<string, string> = {}) =>
    admin<{ expired: number }>("POST", "/admin/expire-tokens", filter),
  fault: (rule: Record<string, unknown>) => admin("POST", "/admin/faults", rule),
  clearFaults: () => admin("DELETE", "/admin/faults"),
  /** A user's files of one source (`import`, `fhir`, `postbox`), newest first. */
  userFiles: (userId: string, source?: "import" | "fhir" | "postbox") =>
    admin<{
      files: {
        id: string;
        fileName: string;
        size: number;
        sha256: string;
        url: string;
        metadata: unknown;
        source: string;
        accountId: string | null;
        mimeType: string;
      }[];
    }>(
      "GET",
      `/library/api/files?userId=${encodeURIComponent(userId)}${source ? `&source=${source}` : ""}&limit=1000`,
    ).then((r) => r.files),
  /** The emulator's users, with their accounts. */
  users: () =>
    admin<{ users: { id: string; accounts: { id: string; reference: string; type: string }[] }[] }>(
      "GET",
      "/library/api/users",
    ).then((r) => r.users),
  files: (postboxId: string) =>
    admin<{
      files: { id: string; fileName: string; size: number; sha256: string; url: string; metadata: unknown }[];
    }>("GET", `/library/api/files?postboxId=${encodeURIComponent(postboxId)}`).then((r) => r.files),
  async download(url: string): Promise<Uint8Array> {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`download: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  },
};

/** How many copies of each content (by SHA-256) a postbox's library holds. */
export async function libraryCopies(postboxId: string): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  for (const file of await emulator.files(postboxId))
    copies.set(file.sha256, (copies.get(file.sha256) ?? 0) + 1);
  return copies;
}

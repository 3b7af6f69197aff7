/**
 * What the browser keeps so that a resumable upload outlives the page (a reload, a closed tab), per
 * file (its mode, name, size, date and a digest of sampled content: {@link resumeId}), until the
 * upload is delivered, refused or ended, or expires:
 *
 * - its URL (`/api/uploads/{id}`) and expiry in `localStorage`: the URL only names the upload; the
 *   Worker serves it to the session that created it, and 404 to anyone else;
 * - for a sealed upload, its plan in IndexedDB: the AES-256 key as a non-extractable `CryptoKey`
 *   (usage `encrypt` only: the page can neither read the key nor decrypt with it), the iv, and the
 *   creation's metadata (the file's name, the wrapped key and the encrypted descriptor), and the
 *   last chaining block the Worker has accepted (ciphertext, to resume without encrypting the
 *   whole file again). Never in
 *   `localStorage`, never as raw bytes: IndexedDB keeps the `CryptoKey` object itself.
 */
import type { ResumablePlan } from "@digime-edge/edge-worker/client";
import type { CbcChain } from "@digime-edge/sdk-core/internal";
import { contentSample } from "./content-sample.ts";
import type { UploadMode } from "./upload-modes.ts";

const PREFIX = "digime-upload:";
const DB_NAME = "digime-edge-uploads";
const STORE = "sealed-plans";

/** How long a plan is kept before the Worker has said when its upload expires: one day. */
export const PROVISIONAL_KEEP_MS = 24 * 60 * 60 * 1000;

// `${PREFIX}${mode}:${size}:${lastModified}:${sample}:${name}`; the name may hold colons.
const ID = /^digime-upload:(\w+:\d+:-?\d+):([\w-]{43}):(.+)$/s;

/**
 * The key under which one file's upload in `mode` is kept, for both its URL and a sealed one's
 * plan: the file's name, size, date and {@link contentSample}. A file changed in place with its
 * name, size and date kept gets another key (unless only bytes outside the sampled regions
 * changed), so its upload starts again rather than resume one made of other bytes.
 *
 * @param mode - The upload mode.
 * @param file - The file.
 * @returns The key.
 */
export async function resumeId(mode: UploadMode, file: File): Promise<string> {
  return `${PREFIX}${mode}:${file.size}:${file.lastModified}:${await contentSample(file)}:${file.name}`;
}

/** The names of the files whose uploads are kept (not expired), to be chosen again to resume. */
export function keptFileNames(): string[] {
  return keptIds().flatMap((id) => ID.exec(id)?.[3] ?? []);
}

/**
 * The kept uploads (not expired) of the file `id` names as it was before: the same mode, name,
 * size and date, other sampled bytes. They are no use to it: it was changed in place.
 *
 * @param id - A {@link resumeId}.
 * @returns Their keys.
 */
export function keptEarlierIds(id: string): string[] {
  const [, file, sample, name] = ID.exec(id) ?? [];
  return keptIds().filter((other) => {
    const [, otherFile, otherSample, otherName] = ID.exec(other) ?? [];
    return otherFile === file && otherName === name && otherSample !== sample;
  });
}

/** The keys of the kept uploads that have not expired. */
function keptIds(): string[] {
  const ids: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const id = localStorage.key(i) ?? "";
    if (ID.test(id) && keptUrl(id)) ids.push(id);
  }
  return ids;
}

/** A sealed upload's plan as IndexedDB holds it, with the last chaining block the Worker accepted. */
export interface KeptPlan {
  plan: ResumablePlan;
  expiresAt: number;
  chain?: CbcChain;
}

/** The upload URL kept for `id`, unless it has expired. */
export function keptUrl(id: string): string | undefined {
  const kept = parseKept(localStorage.getItem(id));
  return kept && kept.expiresAt > Date.now() ? kept.url : undefined;
}

/** Keeps `url` for `id` until `expiresAt` (ms since the epoch), if storage allows. */
export function keepUrl(id: string, url: string, expiresAt: number): void {
  try {
    localStorage.setItem(id, JSON.stringify({ url, expiresAt }));
  } catch {
    // Storage full or denied: the upload still goes on, it only cannot outlive the page.
  }
}

/** The sealed upload's plan (and chaining block) kept for `id`, unless it has expired. */
export async function keptPlan(id: string): Promise<KeptPlan | undefined> {
  const kept = await request<KeptPlan | undefined>("readonly", (store) => store.get(id)).catch(
    () => undefined,
  );
  return kept && kept.expiresAt > Date.now() ? kept : undefined;
}

/**
 * Keeps a sealed upload's plan (its key as the `CryptoKey` it is) for `id` until `expiresAt`. Where
 * IndexedDB is missing or denied nothing is kept: the upload then starts again after a reload.
 */
export async function keepPlan(id: string, plan: ResumablePlan, expiresAt: number): Promise<void> {
  // A chaining block kept with another plan (another key and iv) would not chain into this one.
  await change(id, (kept) => {
    const chain = kept?.plan.metadata.iv === plan.metadata.iv ? kept?.chain : undefined;
    return { plan, expiresAt, ...(chain ? { chain } : {}) };
  });
}

/** Keeps the last chaining block the Worker accepted with the plan kept for `id`, if there is one. */
export async function keepChain(id: string, chain: CbcChain): Promise<void> {
  await change(id, (kept) => kept && { ...kept, chain });
}

/** Changes what is kept for `id` in one transaction (`undefined`: nothing to write). */
async function change(id: string, next: (kept: KeptPlan | undefined) => KeptPlan | undefined) {
  await request("readwrite", (store) => {
    const got = store.get(id);
    got.onsuccess = () => {
      const value = next(got.result as KeptPlan | undefined);
      if (value) store.put(value, id);
    };
    return got;
  }).catch(() => {});
}

/** Forgets everything kept for `id`: the URL, and the plan with its key. */
export async function forgetUpload(id: string): Promise<void> {
  localStorage.removeItem(id);
  await request("readwrite", (store) => store.delete(id)).catch(() => {});
}

/** Forgets every kept upload whose expiry has passed (the Worker has deleted it by then). */
export async function forgetExpired(now = Date.now()): Promise<void> {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const id = localStorage.key(i);
    if (!id?.startsWith(PREFIX)) continue;
    const kept = parseKept(localStorage.getItem(id));
    if (!kept || kept.expiresAt <= now) localStorage.removeItem(id);
  }
  const db = await openDb();
  try {
    await new Promise<void>((resolve, reject) => {
      const transaction = db.transaction(STORE, "readwrite");
      const cursor = transaction.objectStore(STORE).openCursor();
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return;
        if (!((at.value as KeptPlan).expiresAt > now)) at.delete();
        at.continue();
      };
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

function parseKept(text: string | null): { url: string; expiresAt: number } | undefined {
  try {
    const kept = JSON.parse(text ?? "null") as { url?: unknown; expiresAt?: unknown } | null;
    if (typeof kept?.url === "string" && typeof kept.expiresAt === "number")
      return { url: kept.url, expiresAt: kept.expiresAt };
  } catch {
    // not ours, or damaged: treated as nothing kept
  }
  return undefined;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(DB_NAME, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

/** Runs one request on the plans' store and returns its result once its transaction is done. */
async function request<T>(mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const made = make(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(made.result as T);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

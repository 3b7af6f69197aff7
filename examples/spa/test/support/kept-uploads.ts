/**
 * What the demo page keeps to resume its uploads, read in the page as a test does: the URLs in
 * `localStorage` and the sealed uploads' plans in IndexedDB (`src/resume-store.ts`), with what
 * can be said of each plan's key without it being readable.
 */
import type { Page } from "playwright-core";

/** One kept upload URL (`localStorage`). */
export interface KeptUrl {
  id: string;
  /** The raw value, as stored. */
  value: string;
}

/** One kept sealed plan (IndexedDB): what its key is, never its bytes. */
export interface KeptPlanInfo {
  id: string;
  /** `CryptoKey` when the key is kept as a key object. */
  keyType: string;
  extractable: boolean;
  usages: string[];
  algorithm: string;
  ivBytes: number;
  /** Where the kept chaining block ends (0: none kept). */
  chainAt: number;
}

/** Everything the page keeps for its uploads. */
export interface KeptUploads {
  urls: KeptUrl[];
  plans: KeptPlanInfo[];
}

/**
 * Reads what the page keeps for its uploads (the same names as `src/resume-store.ts`).
 *
 * @param page - The demo's page.
 * @returns The kept URLs and plans.
 */
export function keptUploads(page: Page): Promise<KeptUploads> {
  return page.evaluate(async () => {
    const urls: { id: string; value: string }[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const id = localStorage.key(i) ?? "";
      if (id.startsWith("digime-upload:")) urls.push({ id, value: localStorage.getItem(id) ?? "" });
    }
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const opening = indexedDB.open("digime-edge-uploads", 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore("sealed-plans");
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error);
    });
    const entries = await new Promise<{ id: string; value: unknown }[]>((resolve, reject) => {
      const found: { id: string; value: unknown }[] = [];
      const cursor = db.transaction("sealed-plans").objectStore("sealed-plans").openCursor();
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return resolve(found);
        found.push({ id: String(at.key), value: at.value });
        at.continue();
      };
      cursor.onerror = () => reject(cursor.error);
    });
    db.close();
    const plans = entries.map(({ id, value }) => {
      const kept = value as {
        plan?: { sealing?: { key?: unknown; iv?: Uint8Array } };
        chain?: { at: number };
      };
      const sealing = kept.plan?.sealing;
      const key = sealing?.key;
      return {
        id,
        keyType: key?.constructor.name ?? "none",
        extractable: key instanceof CryptoKey ? key.extractable : true,
        usages: key instanceof CryptoKey ? [...key.usages] : [],
        algorithm: key instanceof CryptoKey ? key.algorithm.name : "",
        ivBytes: sealing?.iv?.length ?? 0,
        chainAt: kept.chain?.at ?? 0,
      };
    });
    return { urls, plans };
  });
}

/**
 * A `Storage` held in memory, for unit tests of code that keeps things in the browser's
 * `localStorage` (Node has none without a flag).
 */

/** `Storage` over a `Map`: keys in the order they were first set, as browsers list them. */
export class MemoryStorage implements Storage {
  readonly #items = new Map<string, string>();
  [name: string]: unknown;

  /** How many items it holds. */
  get length(): number {
    return this.#items.size;
  }

  /** The key at `index`, or `null`. */
  key(index: number): string | null {
    return [...this.#items.keys()][index] ?? null;
  }

  /** The value kept for `key`, or `null`. */
  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }

  /** Keeps `value` (as a string) for `key`. */
  setItem(key: string, value: string): void {
    this.#items.set(key, String(value));
  }

  /** Forgets `key`. */
  removeItem(key: string): void {
    this.#items.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.#items.clear();
  }
}

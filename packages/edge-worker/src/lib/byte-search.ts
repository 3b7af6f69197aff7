/**
 * Searches for byte sequences in bytes, for the multipart reader: a plain one for its short header
 * searches and a skipping one for the delimiter across a file part.
 */

/** The first index of `needle` in `haystack` at or after `from`, or -1: for short searches. */
export function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0] as number;
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/**
 * A search for `needle` (a multipart delimiter: tens of bytes) that looks at about one byte of the
 * haystack in every `needle.length` (Boyer-Moore-Horspool): a file part of many MiB is scanned
 * without a step per byte, which `Uint8Array.prototype.indexOf` (then a check per candidate) costs.
 *
 * @param needle - What to find; at least 2 bytes.
 * @returns `find(haystack, from)`: the first index at or after `from`, or -1.
 */
export function delimiterSearch(needle: Uint8Array): (haystack: Uint8Array, from?: number) => number {
  const last = needle.length - 1;
  const lastByte = needle[last] as number;
  // How far the window may move when its last byte is `b`: to the last `b` before the needle's end.
  const skip = new Uint32Array(256).fill(needle.length);
  for (let i = 0; i < last; i++) skip[needle[i] as number] = last - i;
  return (haystack, from = 0) => {
    const end = haystack.length - needle.length;
    for (let i = from; i <= end; ) {
      const b = haystack[i + last] as number;
      if (b === lastByte) {
        let j = 0;
        while (j < last && haystack[i + j] === needle[j]) j++;
        if (j === last) return i;
      }
      i += skip[b] as number;
    }
    return -1;
  };
}

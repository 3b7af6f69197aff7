/** A fetch that counts its calls: for the checks that bad input is refused before any request. */

/**
 * Makes the fetch: every call is counted and returns `{}` (200).
 *
 * @returns The fetch, for sdk-core's `fetch` option, and `calls`, how many times it was called.
 */
export function countingFetch() {
  let calls = 0;
  return {
    fetch: async (): Promise<Response> => {
      calls++;
      return new Response("{}");
    },
    get calls() {
      return calls;
    },
  };
}

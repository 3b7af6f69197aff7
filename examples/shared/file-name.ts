/**
 * The name a script gives the file it writes: the last part of the path it was given.
 */

/**
 * The name of the file at `path`: its last non-empty part, after the last `/` or `\\` (so
 * `dir/` names `dir`, as Node's `basename` does).
 *
 * @param path - A file path, as `fileArgument` (`settings.ts`) returns it.
 * @returns The file's name (`file` where the path has no part: `""`, `/`).
 */
export function fileNameOf(path: string): string {
  return (
    path
      .split(/[\\/]/)
      .filter((part) => part !== "")
      .at(-1) ?? "file"
  );
}

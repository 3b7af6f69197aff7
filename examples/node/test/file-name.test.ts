/**
 * `fileNameOf` (`../shared/file-name.ts`), which names the file every example script writes: the
 * path's last non-empty part, as Node's `basename` gives it, and `file` where there is none.
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import { test } from "node:test";
import { fileNameOf } from "../../shared/file-name.ts";

test("fileNameOf: the path's last part, as basename gives it", () => {
  for (const path of ["report.pdf", "a/b/report.pdf", "/tmp/x.bin", "dir/", "a/b//", "./notes.txt"])
    assert.equal(fileNameOf(path), basename(path), path);
  assert.equal(fileNameOf("C:\\Users\\me\\photo.jpg"), "photo.jpg");
  assert.equal(fileNameOf("C:\\Users\\me\\"), "me");
});

test("fileNameOf: `file` where the path has no part", () => {
  for (const path of ["", "/", "//", "\\"]) assert.equal(fileNameOf(path), "file", JSON.stringify(path));
});

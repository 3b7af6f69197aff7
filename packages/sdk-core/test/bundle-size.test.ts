import { describe, expect, it } from "vitest";
import {
  bundleSize,
  ENTRIES,
  ENVELOPE_MODULES,
  PUSH_SIZE_BUDGET,
  WRITE_SIZE_BUDGET,
} from "../bench/bundle-size.ts";

// The budgets: an app that writes carries at most 12 KB min+gz of sdk-core, one that only pushes
// (the import API) at most 10 KB, dependencies included. Sizes, not timings: `pnpm bench size`
// prints the same numbers from dist/ with the largest inputs.
describe("the code a write pulls in", () => {
  it("fits the 12 KB min+gz budget, with nothing from outside sdk-core", async () => {
    const { gz, inputs } = await bundleSize(ENTRIES.write, { src: true });
    expect(inputs.filter((i) => i.dependency || !i.path.startsWith("src/"))).toEqual([]);
    expect(gz, `write bundle is ${gz} bytes gzipped`).toBeLessThanOrEqual(WRITE_SIZE_BUDGET);
  });

  it("leaves out what a write does not use (authorization, the token exchange, sealing alone)", async () => {
    const { inputs } = await bundleSize(ENTRIES.write, { src: true });
    const paths = inputs.map((i) => i.path);
    expect(paths).toContain("src/write.ts");
    for (const unused of ["src/authorize.ts", "src/crypto/pkce.ts"]) expect(paths).not.toContain(unused);
    const all = await bundleSize(ENTRIES.all, { src: true });
    expect(all.inputs.map((i) => i.path)).toContain("src/authorize.ts");
  });
});

describe("the code pushData pulls in", () => {
  it("fits the 10 KB min+gz budget, with nothing from outside sdk-core", async () => {
    const { gz, inputs } = await bundleSize(ENTRIES.pushData, { src: true });
    expect(inputs.map((i) => i.path)).toContain("src/push-data.ts");
    expect(inputs.filter((i) => i.dependency || !i.path.startsWith("src/"))).toEqual([]);
    expect(gz, `pushData bundle is ${gz} bytes gzipped`).toBeLessThanOrEqual(PUSH_SIZE_BUDGET);
  });

  it("holds no postbox envelope, and less than a write", async () => {
    const push = await bundleSize(ENTRIES.pushData, { src: true });
    const paths = push.inputs.map((i) => i.path);
    for (const envelope of ENVELOPE_MODULES) expect(paths).not.toContain(envelope);
    const write = await bundleSize(ENTRIES.write, { src: true });
    expect(write.inputs.map((i) => i.path)).toEqual(expect.arrayContaining(ENVELOPE_MODULES));
    expect(push.gz).toBeLessThan(write.gz);
  });

  it("a write holds nothing of pushData", async () => {
    const { inputs } = await bundleSize(ENTRIES.write, { src: true });
    const paths = inputs.map((i) => i.path);
    for (const push of ["src/push-data.ts", "src/request/raw-body.ts"]) expect(paths).not.toContain(push);
  });
});

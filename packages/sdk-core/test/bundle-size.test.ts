import { describe, expect, it } from "vitest";
import { bundleSize, ENTRIES, WRITE_SIZE_BUDGET } from "../bench/bundle-size.js";

// The budget of issue 2: an app that writes carries at most 12 KB min+gz of sdk-core, dependencies
// included. A size, not a timing: `pnpm bench` prints the same numbers with the largest inputs.
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

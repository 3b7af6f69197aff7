import { fork } from "node:child_process";
import { init } from "@digime-edge/sdk-core";
import { createCipheriv, randomBytes } from "node:crypto";
import { KEYS, FILE_DESCRIPTOR, MiB, patternStream, patternChunks, mbps, contractDetails, userAccessToken } from "./lib.ts";
const SIZE = 64 * MiB;
const child = fork(new URL("./sink.ts", import.meta.url).pathname, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
const port = await new Promise<number>((r) => child.once("message", (m: any) => r(m.port)));
const base = `http://127.0.0.1:${port}/v1.7/`;
const sdk = init({ applicationId: "bench-app", baseUrl: base, retry: false });
async function time(name: string, fn: () => Promise<unknown>) { await fn(); const ts=[]; for (let i=0;i<5;i++){const s=performance.now(); await fn(); ts.push(performance.now()-s);} ts.sort((a,b)=>a-b); console.log(name, ts[2].toFixed(1), "ms", mbps(SIZE, ts[2]).toFixed(0), "MB/s"); }
const w = (fileData: any) => sdk.write({ contractDetails, userAccessToken, postboxId: "drain", publicKey: KEYS.postboxPublic, data: { fileData, fileName: "b.bin", fileDescriptor: FILE_DESCRIPTOR } });
const mode = process.argv[2] ?? "all";
async function fetchRaw(chunk: number) {
  const key = randomBytes(32), iv = randomBytes(16);
  async function* body() { const c = createCipheriv("aes-256-cbc", key, iv); let buf: Buffer[] = []; let n = 0;
    yield Buffer.from("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n");
    for await (const ch of patternChunks(SIZE)) { const o = c.update(ch); buf.push(o); n += o.length; if (n >= chunk) { yield Buffer.concat(buf); buf = []; n = 0; } }
    buf.push(c.final()); yield Buffer.concat(buf); yield Buffer.from("\r\n--b--\r\n"); }
  const r = await fetch(base + "permission-access/postbox/drain", { method: "POST", headers: { "content-type": "multipart/form-data; boundary=b" }, body: ReadableStream.from(body()), duplex: "half", redirect: "error" } as any);
  await r.text();
}
if (mode === "all" || mode === "sdk") await time("sdk.write stream", () => w(patternStream(SIZE)));
if (mode === "raw") await time("raw fetch 64KiB chunks", () => fetchRaw(64*1024));
if (mode === "all") {
  const bytes = new Uint8Array(SIZE); for (let i=0;i<SIZE;i+=MiB) bytes.set((await import("./lib.ts")).patternChunk(i, MiB), i);
  await time("sdk.write bytes", () => w(bytes));
  await time("sdk.write blob", () => w(new Blob([bytes])));
  await time("raw fetch 64KiB chunks", () => fetchRaw(64*1024));
  await time("raw fetch 1MiB chunks", () => fetchRaw(MiB));
}
child.disconnect();

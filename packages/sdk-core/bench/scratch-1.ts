import { init, seal } from "@digime-edge/sdk-core";
import { KEYS, FILE_DESCRIPTOR, MiB, patternStream, patternChunks, mbps } from "./lib.ts";
const SIZE = 64 * MiB;
async function drain(s: ReadableStream<Uint8Array>) { const r = s.getReader(); let n = 0; for (;;) { const { done, value } = await r.read(); if (done) return n; n += value.length; } }
async function time(name: string, fn: () => Promise<unknown>) { await fn(); const ts=[]; for (let i=0;i<5;i++){const s=performance.now(); await fn(); ts.push(performance.now()-s);} ts.sort((a,b)=>a-b); console.log(name, ts[2].toFixed(1), "ms", mbps(SIZE, ts[2]).toFixed(0), "MB/s"); }
await time("pattern source drain only", () => drain(patternStream(SIZE)));
await time("seal(stream) drain body", async () => { const s = await seal({ publicKey: KEYS.postboxPublic, fileData: patternStream(SIZE), fileDescriptor: FILE_DESCRIPTOR }); await drain(s.body as ReadableStream<Uint8Array>); });
await time("seal(asyncIterable) drain body", async () => { const s = await seal({ publicKey: KEYS.postboxPublic, fileData: patternChunks(SIZE), fileDescriptor: FILE_DESCRIPTOR }); await drain(s.body as ReadableStream<Uint8Array>); });
await time("seal(stream 1MiB chunks) drain body", async () => { const s = await seal({ publicKey: KEYS.postboxPublic, fileData: patternStream(SIZE, MiB), fileDescriptor: FILE_DESCRIPTOR }); await drain(s.body as ReadableStream<Uint8Array>); });

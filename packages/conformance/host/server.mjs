// The local digi.me server the runners start: for now the node:crypto stand-in in fake-digime.mjs.
// Shape: { origin, target, deliveries, serve(path, body, type), waitForResult(runtime), close() }.
export { startFakeDigime as startServer } from "./fake-digime.mjs";

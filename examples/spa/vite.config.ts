import { defineConfig, loadEnv, type Plugin } from "vite";

/**
 * Adds a Content-Security-Policy `<meta>` to the built page: scripts, styles and requests only to
 * this origin and the Worker's (`VITE_WORKER_URL`, when set). Not in dev, where Vite injects styles.
 */
function contentSecurityPolicy(workerUrl: string | undefined): Plugin {
  const worker = workerUrl ? ` ${new URL(workerUrl).origin}` : "";
  const policy = [
    "default-src 'self'",
    `connect-src 'self'${worker}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action 'self'${worker}`,
  ].join("; ");
  return {
    name: "digime-edge-csp",
    apply: "build",
    transformIndexHtml: () => [
      {
        tag: "meta",
        attrs: { "http-equiv": "Content-Security-Policy", content: policy },
        injectTo: "head-prepend",
      },
    ],
  };
}

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, import.meta.dirname, "VITE_");
  return {
    // Relative asset URLs: the built app works at any path, on the Worker or any static host.
    base: "./",
    plugins: [contentSecurityPolicy(env.VITE_WORKER_URL)],
    build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
    server: { host: "127.0.0.1", port: 5173, strictPort: true },
    preview: { host: "127.0.0.1", port: 5173, strictPort: true },
  };
});

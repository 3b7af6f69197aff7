/// <reference types="vite/client" />

interface ImportMetaEnv {
  /**
   * The edge Worker's origin, e.g. `http://127.0.0.1:8787`, when the app is served from another
   * origin (which must be listed in the Worker's `ALLOWED_ORIGINS`). Empty or unset: same origin.
   */
  readonly VITE_WORKER_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}

/**
 * The session with the Worker: its client, whether the user is signed in (`connection`), the
 * Worker's write API, and the upload mode files chosen from now on travel by.
 */
import { createClient, EdgeClientError, type WriteApi } from "@digime-edge/edge-worker/client";
import { describeError } from "./messages.ts";
import { showNotice, ui } from "./ui.ts";
import {
  createUploadMethods,
  DEFAULT_UPLOAD_MODE,
  type UploadMethod,
  type UploadMode,
} from "./upload-modes.ts";

/** Where the page stands with the Worker. */
export type Connection = "checking" | "signed-out" | "signed-in" | "unreachable";

/** The Worker's origin: `VITE_WORKER_URL` for cross-origin use, else this page's own origin. */
export const workerUrl = (import.meta.env.VITE_WORKER_URL ?? "").replace(/\/+$/, "");
/** The Worker's typed client: everything that talks to the Worker goes through it. */
export const client = createClient(workerUrl);
const methods = createUploadMethods(client, workerUrl || location.origin);

/** The session's state, read by the other parts of the page and changed only here. */
export const session: {
  connection: Connection;
  /** The Worker's write API, from `GET /api/session`: `import` has no sealing on the device. */
  writeApi: WriteApi;
  /** How files chosen from now on travel; each upload keeps the mode it was chosen with. */
  method: UploadMethod;
} = { connection: "checking", writeApi: "postbox", method: methods[DEFAULT_UPLOAD_MODE] };

const listeners: ((state: Connection) => void)[] = [];

/** Calls `listener` after every change of `session.connection`, with the new state. */
export function onConnection(listener: (state: Connection) => void): void {
  listeners.push(listener);
}

/** Sets the connection and what the page offers in it. */
export function setConnection(state: Connection): void {
  session.connection = state;
  for (const part of ui.connection.querySelectorAll<HTMLElement>("[data-when]")) {
    part.hidden = part.dataset.when !== state;
  }
  ui.connection.setAttribute("aria-busy", String(state === "checking"));
  const canSend = state === "signed-in";
  ui.send.classList.toggle("disabled", !canSend);
  ui.fileInput.disabled = !canSend;
  ui.tags.disabled = !canSend;
  ui.account.hidden = !canSend;
  for (const listener of listeners) listener(state);
}

/** Sets the upload mode of files chosen from now on. */
export function setMode(mode: UploadMode): void {
  session.method = methods[mode];
  if (mode !== "import") ui.sealMode.checked = mode === "sealed";
  ui.modeSummary.dataset.mode = mode;
  ui.modeSummaryText.textContent = session.method.summary;
}

/**
 * Follows the Worker's write API: `postbox` offers the switch between sealing here and the
 * Worker sealing; `import` has nothing to seal for, so the switch goes and the page says so.
 *
 * @param api - `writeApi` of `GET /api/session`.
 * @param canSeal - Its `canSeal`, when signed in: false for a postbox sign-in without the public
 *   key to seal with, which then sends plain (the Worker seals).
 */
function setWriteApi(api: WriteApi, canSeal = true): void {
  session.writeApi = api;
  ui.sealSwitch.hidden = api === "import";
  ui.sealMode.disabled = !canSeal;
  if (api === "import") setMode("import");
  else setMode(canSeal && ui.sealMode.checked ? "sealed" : "plain");
}

/** Where the Worker sends the browser back after signing in: this page. */
export function returnTo(): string {
  const sameOrigin = !workerUrl || new URL(workerUrl, location.href).origin === location.origin;
  return sameOrigin ? location.pathname : `${location.origin}${location.pathname}`;
}

/** Asks the Worker for the session (`GET /api/session`) and follows its answer. */
export async function checkSession(): Promise<void> {
  setConnection("checking");
  try {
    const answer = await client.session();
    setWriteApi(answer.writeApi, !answer.authenticated || answer.canSeal);
    if (answer.authenticated && !answer.canWrite) {
      showNotice(describeError(new EdgeClientError(403, "CANNOT_WRITE", "no postbox")));
    }
    setConnection(answer.authenticated && answer.canWrite ? "signed-in" : "signed-out");
  } catch (error) {
    setConnection("unreachable");
    showNotice(describeError(error));
  }
}

/** Posts to the Worker's write routes as a browser on the allowed app origin would. */
import type { Browser, CallInit } from "./browser.ts";
import { APP_ORIGIN } from "./test-env.ts";

/** A multipart upload body: `fileDescriptor` (when given) then `file`. */
export function uploadForm(
  bytes: Uint8Array | string,
  descriptor?: unknown,
  fileName = "file.bin",
): FormData {
  const form = new FormData();
  if (descriptor !== undefined) {
    form.append("fileDescriptor", typeof descriptor === "string" ? descriptor : JSON.stringify(descriptor));
  }
  form.append("file", new File([bytes], fileName, { type: "application/octet-stream" }));
  return form;
}

/** Posts to `/api/files` as a browser on the allowed app origin would: `init` gives the body. */
export function postFiles(browser: Browser, init: CallInit = {}): Promise<Response> {
  return browser.fetch("/api/files", { method: "POST", origin: APP_ORIGIN, ...init });
}

/** Posts `form` to `/api/files` as a browser on the allowed app origin would. */
export function upload(browser: Browser, form: FormData, init: CallInit = {}): Promise<Response> {
  return postFiles(browser, { body: form, ...init });
}

/**
 * Posts a FHIR push to `/api/fhir/{version}` as a browser on the allowed app origin would, typed
 * `application/json`: `body` as JSON, or as it is when a string or a stream; `init` over these.
 */
export function postFhir(
  browser: Browser,
  body: unknown,
  version = "stu3",
  init: CallInit = {},
): Promise<Response> {
  const stream = body instanceof ReadableStream;
  return browser.fetch(`/api/fhir/${version}`, {
    method: "POST",
    origin: APP_ORIGIN,
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" || stream ? body : JSON.stringify(body),
    ...(stream ? { duplex: "half" } : {}),
    ...init,
  });
}

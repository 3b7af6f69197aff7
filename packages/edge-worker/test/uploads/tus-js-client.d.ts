/**
 * Types of the two tus-js-client modules the workerd test imports directly: the protocol's core
 * (`BaseUpload`, which the Node and browser builds extend with their own HTTP stack and file
 * reader) and the URL storage that stores nothing. The package types only its entry points.
 */
declare module "tus-js-client/lib.esm/upload.js" {
  /** tus-js-client's upload, without a default HTTP stack or file reader. */
  export default class BaseUpload {
    /** The options every upload starts from. */
    static defaultOptions: Record<string, unknown>;
    /** The upload's URL once created. */
    url: string | null;
    constructor(file: unknown, options: Record<string, unknown>);
    start(): void;
    abort(shouldTerminate?: boolean): Promise<void>;
  }
}

declare module "tus-js-client/lib.esm/noopUrlStorage.js" {
  /** A URL storage that stores nothing. */
  export default class NoopUrlStorage {}
}

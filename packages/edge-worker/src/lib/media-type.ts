/** A media type without parameters, such as `text/plain` (no dependency: the client uses it too). */
export const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/**
 * The media type of a `Content-Type` (or `Blob.type`) without its parameters, when it is one.
 *
 * @param contentType - E.g. `text/plain; charset=utf-8`.
 */
export function mediaTypeOf(contentType: string | null | undefined): string | undefined {
  const type = contentType?.split(";")[0]?.trim();
  return type && MEDIA_TYPE.test(type) ? type : undefined;
}

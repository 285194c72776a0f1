const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes unpadded base64url, accepting only the canonical form. Node's decoder skips stray characters and
 * ignores trailing bits, so without the round-trip check two different strings could carry the same bytes.
 */
export function fromBase64Url(text: string): Buffer | undefined {
  if (!BASE64URL_CHARS.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** A string with an unpaired surrogate does not survive UTF-8 encoding: it would come back as U+FFFD. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

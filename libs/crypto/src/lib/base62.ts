import { randomBytes } from 'node:crypto';

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 4 * 62: a byte at or above it is redrawn, since 256 % 62 = 8 would favour the first 8 characters. */
const UNBIASED_BYTE_LIMIT = 248;

/** Uniformly random base62 characters, by rejection sampling over random bytes. */
export function randomBase62(length: number, random: (size: number) => Uint8Array = randomBytes): string {
  let text = '';
  while (text.length < length) {
    // 248/256 of bytes are kept; drawing a few extra makes a second round rare.
    for (const byte of random(length - text.length + 8)) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue;
      text += BASE62_ALPHABET[byte % 62];
      if (text.length === length) break;
    }
  }
  return text;
}

/** Big-endian base62 of a non-negative integer below 62^width, left-padded with '0' to exactly `width`. */
export function encodeBase62Fixed(value: number, width: number): string {
  let text = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    text = BASE62_ALPHABET[rest % 62] + text;
    rest = Math.floor(rest / 62);
  }
  return text;
}

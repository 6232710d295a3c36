import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A short HMAC-SHA256 tag in lower-case hex (it survives MTAs and clients that fold case) over `text`, for one
 * `purpose`: a tag made for one kind of id never verifies as another.
 */
export function signedTag(secret: string, purpose: string, text: string, hexChars: number): string {
  return createHmac('sha256', secret).update(`${purpose}\0${text}`).digest('hex').slice(0, hexChars);
}

/** whether `given` is `expected`, in constant time */
export function tagMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

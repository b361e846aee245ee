// The X-Hub-Signature-256 check of webhook POSTs: HMAC-SHA256 of the raw body bytes under the app secret.
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';
const HEX_DIGEST = /^[0-9a-f]{64}$/i;

/** 'sha256=' + lowercase hex HMAC-SHA256 of `raw`, as Meta computes it. */
export function signatureOf(raw: Buffer, secret: string): string {
  return PREFIX + createHmac('sha256', secret).update(raw).digest('hex');
}

/**
 * True only when `header` is the signature of exactly these bytes. The body must be the bytes received:
 * Meta escapes non-ASCII as \uXXXX and '/' as '\/', which a JSON round trip undoes, so a re-serialised
 * body never verifies.
 */
export function verifySignature(raw: Buffer, header: string | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith(PREFIX)) return false;
  const hex = header.slice(PREFIX.length);
  // Buffer.from(…, 'hex') silently stops at the first bad character, so shape is checked first.
  if (!HEX_DIGEST.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', secret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

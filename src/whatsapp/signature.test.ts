import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureOf, verifySignature } from './signature.js';

const secret = 'test-app-secret';

// Meta's raw JSON escapes non-ASCII (lowercase \uXXXX) and '/'. These are literal backslash sequences in the bytes.
const metaRaw = Buffer.from(
  String.raw`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"wamid.A","timestamp":"1700000000","type":"text","text":{"body":"Caf\u00e9 \u00e0 l'h\u00f4pital: https:\/\/example.org\/rdv"}}]}}]}]}`,
  'utf8',
);

describe('signatureOf', () => {
  it('is sha256= and the lowercase hex HMAC of the bytes', () => {
    const expected = 'sha256=' + createHmac('sha256', secret).update(metaRaw).digest('hex');
    expect(signatureOf(metaRaw, secret)).toBe(expected);
    expect(signatureOf(metaRaw, secret)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('matches a known HMAC-SHA256 vector (RFC 4231 case 2)', () => {
    const sig = signatureOf(Buffer.from('what do ya want for nothing?'), 'Jefe');
    expect(sig).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('verifySignature', () => {
  const header = signatureOf(metaRaw, secret);

  it('verifies Meta-style escaped raw bytes', () => {
    expect(metaRaw.includes(Buffer.from('\\u00e9'))).toBe(true);
    expect(metaRaw.includes(Buffer.from('\\/'))).toBe(true);
    expect(verifySignature(metaRaw, header, secret)).toBe(true);
  });

  it('does not verify a re-serialised body', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(metaRaw.toString('utf8'))), 'utf8');
    expect(reserialised.equals(metaRaw)).toBe(false);
    expect(verifySignature(reserialised, header, secret)).toBe(false);
  });

  it('fails on a single tampered byte', () => {
    for (const at of [0, 50, metaRaw.length - 1]) {
      const tampered = Buffer.from(metaRaw);
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      expect(verifySignature(tampered, header, secret)).toBe(false);
    }
  });

  it('fails with another secret', () => {
    expect(verifySignature(metaRaw, header, 'other-secret')).toBe(false);
  });

  it('accepts uppercase hex (the digest is compared as bytes)', () => {
    const upper = 'sha256=' + header.slice('sha256='.length).toUpperCase();
    expect(verifySignature(metaRaw, upper, secret)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['bare hex without prefix', header.slice('sha256='.length)],
    ['sha1 prefix', 'sha1=' + header.slice('sha256='.length)],
    ['uppercase prefix', 'SHA256=' + header.slice('sha256='.length)],
    ['prefix only', 'sha256='],
    ['too short', header.slice(0, -2)],
    ['too long', header + '00'],
    ['non-hex of the right length', 'sha256=' + 'z'.repeat(64)],
    ['hex with a trailing garbage character', header.slice(0, -1) + 'g'],
    ['whitespace padded', ` ${header} `],
    ['garbage', 'garbage'],
  ])('is false for a %s header', (_label, bad) => {
    expect(verifySignature(metaRaw, bad, secret)).toBe(false);
  });

  it('verifies an empty body against its own signature', () => {
    const empty = Buffer.alloc(0);
    expect(verifySignature(empty, signatureOf(empty, secret), secret)).toBe(true);
  });
});

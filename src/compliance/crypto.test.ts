import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCipher, DecryptError, loadEncryptionKey } from './crypto.js';

describe('cipher', () => {
  const c = createCipher(crypto.randomBytes(32));

  it('round-trips text and JSON, with a fresh nonce each time', () => {
    const a = c.encrypt('Zoltan Quixbyvarga');
    const b = c.encrypt('Zoltan Quixbyvarga');
    expect(a.equals(b)).toBe(false);
    expect(a.includes(Buffer.from('Zoltan'))).toBe(false);
    expect(c.decrypt(a).toString()).toBe('Zoltan Quixbyvarga');
    expect(c.decryptJson(c.encryptJson({ t: 'é 👋 \u0000' }))).toEqual({ t: 'é 👋 \u0000' });
  });

  it('never repeats a nonce, across refills of the nonce pool', () => {
    const nonces = new Set(Array.from({ length: 1500 }, (_, i) => c.encrypt(String(i)).subarray(1, 13).toString('hex')));
    expect(nonces.size).toBe(1500);
    for (let i = 0; i < 50; i++) expect(c.decrypt(c.encrypt(`v${i}`)).toString()).toBe(`v${i}`);
  });

  it('never repeats a nonce across ciphers either (they share one pool), and each cipher still opens only its own', () => {
    const ciphers = Array.from({ length: 40 }, () => createCipher(crypto.randomBytes(32)));
    const blobs = ciphers.flatMap((x, i) => Array.from({ length: 20 }, (_, j) => ({ i, blob: x.encrypt(`${i}/${j}`) })));
    expect(new Set(blobs.map((b) => b.blob.subarray(1, 13).toString('hex'))).size).toBe(blobs.length);
    for (const { i, blob } of blobs.slice(0, 60)) {
      expect(ciphers[i]!.decrypt(blob).toString()).toMatch(new RegExp(`^${i}/`));
      expect(() => ciphers[(i + 1) % ciphers.length]!.decrypt(blob)).toThrow(DecryptError);
    }
  });

  it('costs little memory per cipher kept: the key ring holds one per patient it read (thousands in a batch)', () => {
    // Before: each cipher kept a 4 KB random pool of its own once it had sealed a value (outside the V8 heap).
    const before = process.memoryUsage().arrayBuffers;
    const kept = Array.from({ length: 5000 }, () => {
      const x = createCipher(crypto.randomBytes(32));
      x.encrypt('a value');
      return x;
    });
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(kept).toHaveLength(5000);
    expect(grown).toBeLessThan(5000 * 1024);
  });

  it('detects tampering and a wrong key', () => {
    const blob = c.encrypt('secret');
    blob[blob.length - 1]! ^= 1;
    expect(() => c.decrypt(blob)).toThrow(DecryptError);
    expect(() => createCipher(crypto.randomBytes(32)).decrypt(c.encrypt('x'))).toThrow(DecryptError);
  });

  it('binds associated data: a blob opens only with the same bytes it was sealed with', () => {
    const aad = Buffer.from('media chunk 3 of file A');
    const blob = c.encrypt(Buffer.from('chunk bytes'), aad);
    expect(c.decrypt(blob, aad).toString()).toBe('chunk bytes');
    expect(() => c.decrypt(blob, Buffer.from('media chunk 4 of file A'))).toThrow(DecryptError);
    expect(() => c.decrypt(blob)).toThrow(DecryptError);
    expect(() => c.decrypt(c.encrypt('plain'), aad)).toThrow(DecryptError);
  });

  it('gives stable blind indexes per key', () => {
    expect(c.blindIndex('33600000001')).toBe(c.blindIndex('33600000001'));
    expect(c.blindIndex('33600000001')).not.toBe(createCipher(crypto.randomBytes(32)).blindIndex('33600000001'));
  });
});

describe('rotation and the blind-index key', () => {
  const oldKey = crypto.randomBytes(32);
  const newKey = crypto.randomBytes(32);

  it('opens values sealed with a previous key, seals with the current one, and tells which is which', () => {
    const before = createCipher(oldKey);
    const during = createCipher(newKey, { previous: [oldKey] });
    const old = before.encrypt('sealed before', Buffer.from('aad'));
    expect(during.decrypt(old, Buffer.from('aad')).toString()).toBe('sealed before');
    expect(during.sealedWithCurrent(old, Buffer.from('aad'))).toBe(false);
    const fresh = during.encrypt('sealed during');
    expect(during.sealedWithCurrent(fresh)).toBe(true);
    expect(() => before.decrypt(fresh)).toThrow(DecryptError);
    expect(() => createCipher(newKey).decrypt(old)).toThrow(DecryptError);
  });

  it('keeps blind indexes when ENCRYPTION_KEY changes, given the same index key', () => {
    const indexKey = crypto.randomBytes(32);
    expect(createCipher(newKey, { previous: [oldKey], indexKey }).blindIndex('phone:336')).toBe(createCipher(oldKey, { indexKey }).blindIndex('phone:336'));
    expect(createCipher(oldKey, { indexKey }).blindIndex('phone:336')).not.toBe(createCipher(oldKey).blindIndex('phone:336'));
  });
});

describe('loadEncryptionKey', () => {
  it('generates a key once into DATA_DIR and reads it back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-key-'));
    const first = loadEncryptionKey(undefined, dir);
    const second = loadEncryptionKey(undefined, dir);
    expect(first.generated).toBe(true);
    expect(second.generated).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
    expect(fs.statSync(path.join(dir, 'encryption.key')).mode & 0o077).toBe(0);
  });

  it('prefers ENCRYPTION_KEY', () => {
    const k = crypto.randomBytes(32);
    expect(loadEncryptionKey(k.toString('base64'), '/nonexistent').key.equals(k)).toBe(true);
  });
});

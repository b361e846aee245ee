// Encryption of PHI at rest: AES-256-GCM with a random 96-bit nonce per value. The blob carries a version
// byte so that keys can be rotated later without guessing formats. Optional associated data (AAD) binds a
// blob to where it belongs without storing it: a media chunk is sealed with its file and position (and
// whether it is the last), so chunks cannot be swapped, reordered or dropped undetected.
//
// Key rotation: a cipher seals with its first key and opens with any of its keys (the previous ones, during a
// rotation). Trying the keys in turn is safe with GCM: a wrong key fails the tag, it never yields garbage.
// The blind-index key is not derived from ENCRYPTION_KEY in the app: it is a system key (keys.ts) that
// survives a rotation, so that every stored index stays valid.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 1;
const NONCE = 12;
const TAG = 16;

export interface Cipher {
  /** `aad`, when given, must be given again, byte for byte, to decrypt. */
  encrypt(plain: Uint8Array | string, aad?: Uint8Array): Buffer;
  decrypt(blob: Uint8Array, aad?: Uint8Array): Buffer;
  encryptJson(value: unknown): Buffer;
  decryptJson(blob: Uint8Array): unknown;
  /** Keyed hash for equality look-ups on encrypted values (blind index). */
  blindIndex(value: string): string;
  /** Whether the current (first) key opens the blob: false for a value sealed with a previous key (rotate-key). */
  sealedWithCurrent(blob: Uint8Array, aad?: Uint8Array): boolean;
}

export interface CipherOptions {
  /** Keys that still open values (ENCRYPTION_KEYS_PREVIOUS during a rotation; the KEKs behind a patient key). */
  previous?: readonly Buffer[];
  /**
   * The blind-index key (the system key 'blind-index', keys.ts). Without it one is derived from `key`, which
   * only tests and throw-away ciphers may rely on: it would change with a rotation.
   */
  indexKey?: Buffer;
}

export class DecryptError extends Error {
  readonly code = 'decrypt_failed';
  constructor() {
    super('an encrypted value could not be decrypted (wrong ENCRYPTION_KEY or corrupted data)');
  }
}

export function createCipher(key: Buffer, opts: CipherOptions = {}): Cipher {
  if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
  const keys = [key, ...(opts.previous ?? [])];
  for (const k of keys) if (k.length !== 32) throw new Error('the encryption key must be 32 bytes');
  const indexKey = opts.indexKey ?? crypto.createHmac('sha256', key).update('patientline blind index v1').digest();
  // Nonces come from a pre-filled random pool: one getrandom call per 341 values instead of one per value
  // (intake encrypts every webhook). Each nonce is still 96 fresh random bits, never reused.
  let pool = Buffer.alloc(0);
  let used = 0;
  const nonce = (): Buffer => {
    if (used + NONCE > pool.length) {
      pool = crypto.randomBytes(NONCE * 341);
      used = 0;
    }
    const n = pool.subarray(used, used + NONCE);
    used += NONCE;
    return n;
  };
  const encrypt = (plain: Uint8Array | string, aad?: Uint8Array): Buffer => {
    const data = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
    const iv = nonce();
    const c = crypto.createCipheriv('aes-256-gcm', key, iv);
    if (aad) c.setAAD(aad);
    // One allocation of the final size: version, nonce, ciphertext (same length as the plaintext), tag.
    const out = Buffer.allocUnsafe(1 + NONCE + data.length + TAG);
    out[0] = VERSION;
    iv.copy(out, 1);
    let at = 1 + NONCE;
    at += c.update(data).copy(out, at);
    at += c.final().copy(out, at);
    c.getAuthTag().copy(out, at);
    return out;
  };
  const open = (k: Buffer, b: Buffer, aad?: Uint8Array): Buffer | null => {
    try {
      const d = crypto.createDecipheriv('aes-256-gcm', k, b.subarray(1, 1 + NONCE));
      if (aad) d.setAAD(aad);
      d.setAuthTag(b.subarray(b.length - TAG));
      return Buffer.concat([d.update(b.subarray(1 + NONCE, b.length - TAG)), d.final()]);
    } catch {
      return null;
    }
  };
  const view = (blob: Uint8Array): Buffer => {
    const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    if (b.length < 1 + NONCE + TAG || b[0] !== VERSION) throw new DecryptError();
    return b;
  };
  const decrypt = (blob: Uint8Array, aad?: Uint8Array): Buffer => {
    const b = view(blob);
    for (const k of keys) {
      const plain = open(k, b, aad);
      if (plain) return plain;
    }
    throw new DecryptError();
  };
  return {
    encrypt,
    decrypt,
    encryptJson: (value) => encrypt(JSON.stringify(value)),
    decryptJson: (blob) => JSON.parse(decrypt(blob).toString('utf8')) as unknown,
    blindIndex: (value) => crypto.createHmac('sha256', indexKey).update(value).digest('base64url'),
    sealedWithCurrent: (blob, aad) => open(key, view(blob), aad) !== null,
  };
}

/** ENCRYPTION_KEY when set; otherwise a key generated once into DATA_DIR (sandbox and single-node use). */
export function loadEncryptionKey(configured: string | undefined, dataDir: string): { key: Buffer; generated: boolean } {
  if (configured) return { key: Buffer.from(configured, 'base64'), generated: false };
  const file = path.join(path.resolve(dataDir), 'encryption.key');
  try {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length === 32) return { key, generated: false };
    throw new Error(`${file} does not hold a base64 32-byte key`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(32);
  fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return { key, generated: true };
}

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

// Nonces come from one pre-filled random pool shared by every cipher of the process: one getrandom call per
// 341 values instead of one per value (intake encrypts every webhook). Each nonce is still 96 fresh random bits,
// never handed out twice. Shared, not per cipher: a patient's cipher (keys.ts: one per patient, thousands cached
// during a reminder run) would otherwise carry a 4 KB pool of its own, allocated outside the V8 heap.
let noncePool = Buffer.alloc(0);
let nonceUsed = 0;
function nonce(): Buffer {
  if (nonceUsed + NONCE > noncePool.length) {
    noncePool = crypto.randomBytes(NONCE * 341);
    nonceUsed = 0;
  }
  const n = noncePool.subarray(nonceUsed, nonceUsed + NONCE);
  nonceUsed += NONCE;
  return n;
}

function view(blob: Uint8Array): Buffer {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 1 + NONCE + TAG || b[0] !== VERSION) throw new DecryptError();
  return b;
}

function open(k: Buffer, b: Buffer, aad?: Uint8Array): Buffer | null {
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', k, b.subarray(1, 1 + NONCE));
    if (aad) d.setAAD(aad);
    d.setAuthTag(b.subarray(b.length - TAG));
    return Buffer.concat([d.update(b.subarray(1 + NONCE, b.length - TAG)), d.final()]);
  } catch {
    return null;
  }
}

/**
 * A class rather than closures: the key ring makes one per patient it reads (src/compliance/keys.ts), so its
 * size is paid per patient in a batch. The blind-index key is derived on first use (patients' ciphers never
 * index).
 */
class AesGcmCipher implements Cipher {
  readonly #keys: readonly Buffer[];
  #indexKey: Buffer | undefined;

  constructor(keys: readonly Buffer[], indexKey: Buffer | undefined) {
    this.#keys = keys;
    this.#indexKey = indexKey;
  }

  encrypt(plain: Uint8Array | string, aad?: Uint8Array): Buffer {
    const data = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
    const iv = nonce();
    const c = crypto.createCipheriv('aes-256-gcm', this.#keys[0]!, iv);
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
  }

  decrypt(blob: Uint8Array, aad?: Uint8Array): Buffer {
    const b = view(blob);
    for (const k of this.#keys) {
      const plain = open(k, b, aad);
      if (plain) return plain;
    }
    throw new DecryptError();
  }

  encryptJson(value: unknown): Buffer {
    return this.encrypt(JSON.stringify(value));
  }

  decryptJson(blob: Uint8Array): unknown {
    return JSON.parse(this.decrypt(blob).toString('utf8')) as unknown;
  }

  blindIndex(value: string): string {
    this.#indexKey ??= crypto.createHmac('sha256', this.#keys[0]!).update('patientline blind index v1').digest();
    return crypto.createHmac('sha256', this.#indexKey).update(value).digest('base64url');
  }

  sealedWithCurrent(blob: Uint8Array, aad?: Uint8Array): boolean {
    return open(this.#keys[0]!, view(blob), aad) !== null;
  }
}

export function createCipher(key: Buffer, opts: CipherOptions = {}): Cipher {
  const keys = [key, ...(opts.previous ?? [])];
  for (const k of keys) if (k.length !== 32) throw new Error('the encryption key must be 32 bytes');
  return new AesGcmCipher(keys, opts.indexKey);
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

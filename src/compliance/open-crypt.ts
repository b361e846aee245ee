// Builds the app's cipher and key ring from ENCRYPTION_KEY (and ENCRYPTION_KEYS_PREVIOUS during a rotation)
// once the database is migrated: the blind-index key is a system key stored wrapped in the database
// (keys.ts), created at first start. Then converts what migration 0012 left in clear (seal-identifiers.ts).
import type { Db } from '../db/database.js';
import type { Logger } from '../lib/logger.js';
import { createCipher } from './crypto.js';
import type { Crypt } from './identifiers.js';
import { BLIND_INDEX_KEY, createKeyRing, kekOf, systemKey } from './keys.js';
import { sealClearIdentifiers } from './seal-identifiers.js';

export async function openCrypt(db: Db, key: Buffer, previous: readonly Buffer[], log?: Logger): Promise<Crypt> {
  const keks = [kekOf(key), ...previous.map((k) => kekOf(k))];
  const indexKey = await systemKey(db, keks, BLIND_INDEX_KEY);
  const crypt: Crypt = { cipher: createCipher(key, { previous, indexKey }), keys: createKeyRing({ keks }) };
  const sealed = await sealClearIdentifiers(db, crypt);
  const total = sealed.patients + sealed.inboundMessages + sealed.statusEvents + sealed.outbox;
  if (total > 0) log?.info({ code: 'identifiers_sealed', ...sealed }, 'phone numbers and BSUIDs stored in clear before migration 0012 are now blind-indexed and encrypted');
  return crypt;
}

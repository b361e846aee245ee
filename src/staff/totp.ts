// TOTP second factor (RFC 6238 through otplib 13: SHA-1, 6 digits, 30 s, which every authenticator app
// reads). Secrets are sealed with ENCRYPTION_KEY, bound to their user's id so that a sealed secret copied to
// another row does not open. A code is accepted once: verification passes the last accepted time step as
// `afterTimeStep`, and the caller stores the new step only if no concurrent request stored it first.
import { generateSecret, generateURI, verify } from 'otplib';
import type { Cipher } from '../compliance/crypto.js';
import type { Clock } from '../lib/clock.js';

export const TOTP_ISSUER = 'PatientLine';
/** One step either side of now: phones drift, and a code typed at the end of its 30 s still works. */
const TOLERANCE_SECONDS = 30;

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
}

export function newTotpSecret(label: string): TotpSetup {
  const secret = generateSecret({ length: 20 });
  return { secret, otpauthUrl: generateURI({ issuer: TOTP_ISSUER, label, secret }) };
}

function aad(userId: string): Buffer {
  return Buffer.from(`staff_totp:${userId}`, 'utf8');
}

export function sealTotpSecret(cipher: Cipher, userId: string, secret: string): Buffer {
  return cipher.encrypt(secret, aad(userId));
}

export function openTotpSecret(cipher: Cipher, userId: string, sealed: Uint8Array): string {
  return cipher.decrypt(sealed, aad(userId)).toString('utf8');
}

/** The time step the code belongs to, or null when it is wrong or not newer than `afterStep`. */
export async function verifyTotp(secret: string, code: string, clock: Clock, afterStep: number | null): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const r = await verify({
    secret,
    token: code,
    epoch: Math.floor(clock.now().getTime() / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
  });
  return r.valid && 'timeStep' in r ? r.timeStep : null;
}

// Phone numbers and BSUIDs at rest: never stored in clear. Every equality look-up (find a patient, "same
// person" in the inbound claim, a status's recipient) compares a blind index: an HMAC-SHA256 under the system
// key 'blind-index' (keys.ts), which survives a rotation of ENCRYPTION_KEY. Where the value itself is needed
// (sending needs the phone or BSUID, staff see a masked phone) it is stored beside the index, encrypted.
// Each kind of identifier is hashed with its own prefix, so a phone and a BSUID never share an index.
import type { Cipher } from './crypto.js';
import type { KeyRing } from './keys.js';

/** What computes blind indexes: the app's cipher (ctx.cipher). */
export type BlindIndex = Pick<Cipher, 'blindIndex'>;

/** The app's cipher (values of no patient yet, blind indexes) and the per-patient data keys. */
export interface Crypt {
  readonly cipher: Cipher;
  readonly keys: KeyRing;
}

// WhatsApp's wa_id is the number's digits without '+': the same person typed as "+33 6 12…" by staff matches.
const PHONE_LIKE = /^\+?[0-9 ().-]+$/;

export function normalizePhone(phone: string): string {
  return PHONE_LIKE.test(phone) ? phone.replace(/[^0-9]/g, '') : phone;
}

/** The blind index of a phone number (wa_id, recipient_id, or a number as staff type it). */
export function phoneIndex(index: BlindIndex, phone: string): string {
  return index.blindIndex(`phone:${normalizePhone(phone)}`);
}

/** The blind index of a BSUID (from_user_id, user_id, recipient_user_id). */
export function bsuidIndex(index: BlindIndex, bsuid: string): string {
  return index.blindIndex(`bsuid:${bsuid}`);
}

/** A phone number as staff see it: country code and last two digits, e.g. +33•••••••78. */
export function maskPhone(phone: string): string {
  const digits = normalizePhone(phone).replace(/[^0-9]/g, '');
  if (digits.length < 6) return '•'.repeat(digits.length);
  return `+${digits.slice(0, 2)}${'•'.repeat(digits.length - 4)}${digits.slice(-2)}`;
}

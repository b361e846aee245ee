// Staff passwords: argon2id hashes (@node-rs/argon2, its defaults are OWASP's second argon2id profile:
// m=19 MiB, t=2, p=1), a strength rule (at least 12 characters, not in the common-password list of
// @zxcvbn-ts/language-common, zxcvbn score 3 or more), and generated passwords for the CLI. A refusal names
// the reason, never the password.
import crypto from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../lib/errors.js';

export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes anything, but a megabyte password is a denial of service, not a password. */
export const MAX_PASSWORD_LENGTH = 256;
const MIN_SCORE = 3;

// Built at the first check, not at import: every CLI command imports this module, few check a password.
let checker: { zxcvbn: ZxcvbnFactory; common: Set<string> } | null = null;
const strength = () => (checker ??= {
  zxcvbn: new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }),
  common: new Set(dictionary['passwords-common'].map((w) => w.toLowerCase())),
});

export type WeakReason = 'too_short' | 'too_long' | 'common_password' | 'too_guessable';

/** Why a password is refused, or null when it is strong enough. `userInputs`: the e-mail and name, which make poor passwords. */
export function passwordWeakness(password: string, userInputs: readonly string[] = []): { reason: WeakReason; hint: string | null } | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return { reason: 'too_short', hint: null };
  if (password.length > MAX_PASSWORD_LENGTH) return { reason: 'too_long', hint: null };
  const { zxcvbn, common } = strength();
  if (common.has(password.toLowerCase())) return { reason: 'common_password', hint: null };
  const inputs = userInputs.flatMap((u) => [u, ...u.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3)]);
  const r = zxcvbn.check(password, inputs);
  if (r.score < MIN_SCORE) return { reason: 'too_guessable', hint: r.feedback.warning ?? null };
  return null;
}

const DETAIL: Record<WeakReason, string> = {
  too_short: `use at least ${MIN_PASSWORD_LENGTH} characters`,
  too_long: `use at most ${MAX_PASSWORD_LENGTH} characters`,
  common_password: 'this password is in the list of common passwords',
  too_guessable: 'this password is too easy to guess: add unrelated words or characters',
};

/** Throws 400 `weak_password` with the reason when the password is refused. */
export function assertStrongPassword(password: string, userInputs: readonly string[] = []): void {
  const weak = passwordWeakness(password, userInputs);
  if (weak) throw new AppError('weak_password', 400, 'The password is too weak', { reason: weak.reason, detail: DETAIL[weak.reason], ...(weak.hint ? { hint: weak.hint } : {}) });
}

/** @node-rs/argon2's `Algorithm.Argon2id` (a const enum, which this project's module settings cannot import). */
const ARGON2ID = 2;

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

/** False for a wrong password and for a hash that is not one (never throws on bad input). */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/**
 * A hash of a random password nobody knows: an unknown e-mail is checked against it, so that the answer
 * takes as long as for a known one (the timing does not tell which e-mails have accounts).
 */
export function dummyHash(): Promise<string> {
  return hashPassword(crypto.randomBytes(24).toString('base64url'));
}

/** 20 random characters from a 56-symbol alphabet without look-alikes (~116 bits), grouped for reading. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const chars = Array.from({ length: 20 }, () => alphabet[crypto.randomInt(alphabet.length)]!);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-');
}

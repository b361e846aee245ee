// The sandbox's shared state and helpers: settings (runtime toggles kept in the database, so every instance
// agrees), simulated identities (stable BSUIDs), the change feed that drives the phone page's live updates,
// and Meta's error body.
import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../lib/clock.js';
import type { Cipher } from '../compliance/crypto.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { createPatient, findPatient, getSetting, insertTemplate, listPatients, putSetting, sandboxDb, type SandboxDb, type SimPatient } from './repo.js';
import { HELLO_WORLD, ONE_TIME_CODE } from './templates.js';
import { newNumericId, WebhookDispatcher, type Business } from './webhooks.js';

/** The sandbox business number: a fictional NANP number (555-01xx is reserved for fiction). */
export const SANDBOX_DISPLAY_PHONE = '12025550100';

const settingFields = {
  /** Enforce the throughput (130429) and pair-rate (131056) limits. Off by default: a demo should not throttle. */
  enforceLimits: z.boolean(),
  /** Messages per second for the business number (Meta's default is 80). */
  mps: z.number().int().min(1).max(1000),
  /** Pair-rate burst: messages to one patient before the 1-per-6-seconds refill rules (Meta allows 45). */
  pairBurst: z.number().int().min(1).max(45),
  /** How long template review takes before APPROVED. */
  templateApprovalMs: z.number().int().min(0).max(600_000),
};
export const DEFAULT_SETTINGS = { enforceLimits: false, mps: 80, pairBurst: 45, templateApprovalMs: 2000 } as const;
export const settingsSchema = z.object(settingFields);
// A patch names only what changes: no defaults here, or a partial update would reset the other settings.
export const settingsPatchSchema = z.strictObject(settingFields).partial();
export type Settings = z.output<typeof settingsSchema>;

export interface SandboxDeps {
  config: Config;
  db: Db;
  cipher: Cipher;
  clock: Clock;
  log: Logger;
  /** The app's own webhook URL once it listens. */
  webhookTarget(): string | null;
}

export class Sandbox {
  readonly db: SandboxDb;
  readonly business: Business;
  readonly dispatcher: WebhookDispatcher;
  private readonly feed = new EventEmitter();

  constructor(readonly deps: SandboxDeps) {
    this.db = sandboxDb(deps.db);
    this.feed.setMaxListeners(0);
    this.business = { wabaId: deps.config.whatsapp.businessAccountId, phoneNumberId: deps.config.whatsapp.phoneNumberId, displayPhoneNumber: SANDBOX_DISPLAY_PHONE };
    this.dispatcher = new WebhookDispatcher({
      db: this.db, cipher: deps.cipher, clock: deps.clock, log: deps.log, appSecret: deps.config.whatsapp.appSecret,
      target: deps.webhookTarget,
      onChange: () => this.changed(null),
    });
  }

  get cipher(): Cipher { return this.deps.cipher; }
  get clock(): Clock { return this.deps.clock; }
  get log(): Logger { return this.deps.log; }
  get config(): Config { return this.deps.config; }

  /** Something a phone shows changed; `patientId` null = look everywhere (cheap: one indexed query each). */
  changed(patientId: string | null): void {
    this.feed.emit('change', patientId);
  }

  onChange(listener: (patientId: string | null) => void): () => void {
    this.feed.on('change', listener);
    return () => this.feed.off('change', listener);
  }

  async settings(): Promise<Settings> {
    const stored = settingsSchema.partial().safeParse((await getSetting(this.db, 'settings')) ?? {});
    return { ...DEFAULT_SETTINGS, ...(stored.success ? stored.data : {}) };
  }

  async updateSettings(patch: z.output<typeof settingsPatchSchema>): Promise<Settings> {
    const next = settingsSchema.parse({ ...(await this.settings()), ...patch });
    await putSetting(this.db, 'settings', next);
    this.changed(null);
    return next;
  }

  /** What a new WhatsApp Business Account and a newcomer need: the sample template and one patient. */
  async ensureDefaults(): Promise<void> {
    const now = this.clock.now();
    for (const t of [HELLO_WORLD, ...ONE_TIME_CODE]) {
      await insertTemplate(this.db, { id: newNumericId(), name: t.name, language: t.language, category: t.category, parameterFormat: null, components: t.components, status: 'APPROVED', createdAt: now, approveAt: now });
    }
    if ((await listPatients(this.db, this.cipher)).length === 0) {
      // A fictional French mobile number (06 39 98 xx xx is reserved for fiction by ARCEP).
      await createPatient(this.db, this.cipher, { waId: '33639980001', bsuid: bsuidFor('33639980001'), name: 'Camille Martin', language: 'en', now });
    }
  }

  async findOrCreateByPhone(waId: string): Promise<SimPatient> {
    const found = await findPatient(this.db, this.cipher, { waId });
    if (found) return found;
    // Any valid number is "on WhatsApp" in the sandbox, so staff can message a patient who never wrote.
    const created = await createPatient(this.db, this.cipher, { waId, bsuid: bsuidFor(waId), name: `+${waId}`, language: 'en', now: this.clock.now() });
    const patient = created ?? (await findPatient(this.db, this.cipher, { waId }));
    if (!patient) throw new Error('simulated patient vanished');
    this.changed(null);
    return patient;
  }
}

const COUNTRY_PREFIXES: [string, string][] = [
  ['351', 'PT'], ['352', 'LU'], ['212', 'MA'], ['213', 'DZ'], ['216', 'TN'], ['33', 'FR'], ['39', 'IT'], ['34', 'ES'], ['49', 'DE'], ['44', 'GB'],
  ['41', 'CH'], ['32', 'BE'], ['31', 'NL'], ['43', 'AT'], ['55', 'BR'], ['52', 'MX'], ['54', 'AR'], ['91', 'IN'], ['1', 'US'],
];

/** A stable business-scoped user ID for a simulated number: country + 20 digits derived from the number. */
export function bsuidFor(waId: string): string {
  const country = COUNTRY_PREFIXES.find(([p]) => waId.startsWith(p))?.[1] ?? 'US';
  const digest = crypto.createHmac('sha256', 'patientline-sandbox-portfolio').update(waId).digest();
  return `${country}.${(digest.readBigUInt64BE(0) % 10n ** 20n).toString().padStart(20, '1')}`;
}

export type GraphReply = { status: number; body: unknown; errorCode: number | null; details: string | null };

/** Meta's error body: `{error:{message:"(#code) title", type, code, error_data:{messaging_product, details}, fbtrace_id}}`. */
export function graphError(status: number, code: number, title: string, details: string): GraphReply {
  return {
    status,
    errorCode: code,
    details,
    body: {
      error: {
        message: `(#${code}) ${title}`,
        type: 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details },
        fbtrace_id: crypto.randomBytes(16).toString('base64url').slice(0, 22),
      },
    },
  };
}

export function ok(body: unknown): GraphReply {
  return { status: 200, body, errorCode: null, details: null };
}

// Standby webhooks (field `standby`): another app on our number, such as Meta Business Agent, holds the
// conversation, and we only listen. Its value has the shape of a `messages` change: the patient's `messages`,
// `message_echoes` (what the other app sent them) and `statuses` (of those echoes), with `contacts`. Intake
// keeps each item as one row of standby_events, sealed with ENCRYPTION_KEY, with the blind index of the
// patient's phone or BSUID so the inbox can link it to the patient and show it in the thread. These rows
// never reach the inbound worker: the bot never answers what another app is handling. A value with none of
// those lists is kept whole (item 'other'), never dropped.
import type { Insertable } from 'kysely';
import { z } from 'zod';
import type { Cipher } from '../compliance/crypto.js';
import { bsuidIndex, phoneIndex } from '../compliance/identifiers.js';
import type { StandbyEventsTable } from '../db/schema.js';
import { dbText, isStorableText } from './webhook-envelope.js';

export type StandbyRow = Required<Pick<Insertable<StandbyEventsTable>, 'item' | 'wamid' | 'status' | 'type' | 'occurred_at' | 'wa_id_index' | 'bsuid_index' | 'payload'>>;

const id = (max: number) => z.string().max(max).refine(isStorableText).optional().catch(undefined);
const seconds = z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative().max(1e12)]).transform((v) => new Date(Number(v) * 1000)).optional().catch(undefined);

const itemSchema = z.object({
  id: dbText(512).optional().catch(undefined),
  type: dbText(64).optional().catch(undefined),
  status: dbText(32).optional().catch(undefined),
  timestamp: seconds,
  from: id(64),
  from_user_id: id(256),
  to: id(64),
  recipient_id: id(64),
  recipient_user_id: id(256),
}).loose();

const valueSchema = z.object({
  metadata: z.object({ phone_number_id: z.string().min(1).max(64) }).loose().optional().catch(undefined),
  contacts: z.array(z.unknown()).optional().catch(undefined),
  messages: z.array(z.unknown()).optional().catch(undefined),
  message_echoes: z.array(z.unknown()).optional().catch(undefined),
  statuses: z.array(z.unknown()).optional().catch(undefined),
}).loose();

const contactSchema = z.object({ wa_id: id(64), user_id: id(256) }).loose();

export interface StandbyCollected {
  rows: StandbyRow[];
  /** The value names another phone number id: not ours, ignored like a foreign messages change. */
  foreign: string | null;
}

/** The rows of one standby change's value. Never throws for content. */
export function standbyRows(cipher: Cipher, phoneNumberId: string, value: Record<string, unknown>): StandbyCollected {
  const v = valueSchema.parse(value);
  const foreignId = v.metadata?.phone_number_id;
  if (foreignId && foreignId !== phoneNumberId) return { rows: [], foreign: foreignId };
  const contacts = (v.contacts ?? []).map((c) => contactSchema.safeParse(c)).filter((c) => c.success).map((c) => c.data);
  const single = contacts.length === 1 ? contacts[0]! : null;
  const rows: StandbyRow[] = [];
  const add = (item: StandbyRow['item'], raw: unknown, who: (i: z.infer<typeof itemSchema>) => { phone?: string | undefined; bsuid?: string | undefined }) => {
    const parsed = itemSchema.safeParse(raw);
    const i = parsed.success ? parsed.data : null;
    const w = i ? who(i) : {};
    const phone = w.phone || single?.wa_id || null;
    const bsuid = w.bsuid || single?.user_id || null;
    rows.push({
      item,
      wamid: i?.id ?? null,
      status: item === 'status' ? (i?.status ?? null) : null,
      type: item === 'status' ? null : (i?.type ?? null),
      occurred_at: i?.timestamp ?? null,
      wa_id_index: phone ? phoneIndex(cipher, phone) : null,
      bsuid_index: bsuid ? bsuidIndex(cipher, bsuid) : null,
      // With its contact: the thread shows the item as Meta sent it.
      payload: cipher.encryptJson({ item: raw, contacts: v.contacts ?? [] }),
    });
  };
  for (const m of v.messages ?? []) add('message', m, (i) => ({ phone: i.from, bsuid: i.from_user_id }));
  for (const m of v.message_echoes ?? []) add('echo', m, (i) => ({ phone: i.to ?? i.recipient_id, bsuid: i.recipient_user_id }));
  for (const s of v.statuses ?? []) add('status', s, (i) => ({ phone: i.recipient_id, bsuid: i.recipient_user_id }));
  if (rows.length === 0) {
    rows.push({
      item: 'other', wamid: null, status: null, type: null, occurred_at: null,
      wa_id_index: single?.wa_id ? phoneIndex(cipher, single.wa_id) : null,
      bsuid_index: single?.user_id ? bsuidIndex(cipher, single.user_id) : null,
      payload: cipher.encryptJson({ item: value, contacts: v.contacts ?? [] }),
    });
  }
  return { rows, foreign: null };
}

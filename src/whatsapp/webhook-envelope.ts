// The envelope of a webhook POST, checked at intake one item at a time: the body, each entry, each change,
// each contact, message and status. Only what intake needs is strict here (ids, types, timestamps,
// routing); the content of each message is parsed later by inbound-model.ts, so that an unknown or odd
// message is stored rather than refused. A value that fails here is dead-lettered alone: the items beside
// it are kept.
import { z } from 'zod';

// NUL, or a UTF-16 surrogate without its pair (with the u flag, \p{Cs} matches only unpaired ones).
const UNSTORABLE_CHARACTER = /[\u0000\p{Cs}]/u;
const UNSTORABLE_CHARACTERS = /[\u0000\p{Cs}]/gu;

/**
 * Text PostgreSQL can store exactly: no NUL (22021 in text, 22P05 in jsonb) and no lone UTF-16 surrogate
 * (the driver would turn it into U+FFFD, so two different ids would collide; 22P02 in jsonb).
 */
export function isStorableText(s: string): boolean {
  return !UNSTORABLE_CHARACTER.test(s);
}

/** Makes any string storable, for text that is informational (status error titles): lossy, never used as a key. */
export function toStorableText(s: string): string {
  return isStorableText(s) ? s : s.replace(UNSTORABLE_CHARACTERS, '\uFFFD');
}

export const dbText = (max: number) => z.string().min(1).max(max).refine(isStorableText, 'must not contain NUL or a lone surrogate');
/** An identity of the sender: may be empty (read as absent: some senders put "from": "" beside a BSUID). */
const idText = (max: number) => z.string().max(max).refine(isStorableText, 'must not contain NUL or a lone surrogate').optional();
/** An optional informational field: a value that is not storable text is dropped, never the item. */
const optionalDbText = (max: number) => dbText(max).optional().catch(undefined);

// Unix seconds as Meta sends them (strings), or numbers; bounded so that the Date is valid in PostgreSQL.
const unixSeconds = z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative().max(1e12)]).transform(Number);

export const envelopeMessageSchema = z
  .object({
    id: dbText(512),
    type: dbText(64),
    timestamp: unixSeconds,
    // The sender's ids become columns and the ordering key: a value that cannot be stored makes the message
    // malformed. (The parent BSUID and username are checked when the message is processed: inbound-schemas.ts.)
    from: idText(64),
    from_user_id: idText(256),
  })
  .loose();

export const envelopeStatusSchema = z
  .object({
    id: dbText(512),
    status: dbText(32),
    timestamp: unixSeconds,
    recipient_id: optionalDbText(64),
    recipient_user_id: optionalDbText(256),
    // Ours is short ASCII: anything unstorable cannot be ours and reads as "none". At most 512 characters
    // (Meta's limit), which also keeps it inside a btree index entry.
    biz_opaque_callback_data: optionalDbText(512),
    errors: z.unknown().optional(),
  })
  .loose();

export const envelopeContactSchema = z
  .object({
    wa_id: idText(64),
    user_id: idText(256),
  })
  .loose();

export const envelopeBodySchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.unknown()),
});

export const envelopeEntrySchema = z.object({ changes: z.array(z.unknown()) }).loose();

export const envelopeChangeSchema = z.object({
  field: dbText(128),
  value: z.record(z.string(), z.unknown()),
});

/** What routes a messages change; every list in it is checked item by item. */
export const messagesValueSchema = z
  .object({
    metadata: z.object({ phone_number_id: z.string().min(1).max(64) }).loose(),
    contacts: z.unknown().optional(),
    messages: z.unknown().optional(),
    statuses: z.unknown().optional(),
    errors: z.unknown().optional(),
  })
  .loose();

export type EnvelopeMessage = z.infer<typeof envelopeMessageSchema>;
export type EnvelopeStatus = z.infer<typeof envelopeStatusSchema>;
export type EnvelopeContact = z.infer<typeof envelopeContactSchema>;

/** The ordering key of a sender: the BSUID when present (always, since 2026), else the phone. */
export function senderKey(m: { from?: string | undefined; from_user_id?: string | undefined }): string | null {
  if (m.from_user_id) return `u:${m.from_user_id}`;
  if (m.from) return `p:${m.from}`;
  return null;
}

/** Deeper than any webhook Meta sends (about 10 levels): more is refused before any recursive code sees it. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when a parsed JSON value nests arrays/objects deeper than `max`. V8's JSON.parse takes any depth,
 * but JSON.stringify (encryption), zod and our own walkers recurse: a body nested 10⁴ deep would throw
 * RangeError in them. Iterative, and it visits only containers (about 30 in an ordinary webhook: < 1 µs).
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const depth = depths.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

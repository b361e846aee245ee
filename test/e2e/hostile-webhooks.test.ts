// A signed webhook is never answered 500 for its content, and one bad item never loses a good one. Each
// case below is one signed POST through the real server: a hostile item beside good ones. Every case must
// answer 200, store and process every good item (each good message is answered by the placeholder bot),
// and keep exactly the expected number of dead letters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startFakeGraph, sign, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, startTestApp, waitFor } from '../support/app.js';
import type { Running } from '../../src/main.js';
import { openInbound, senderKeyOf } from '../support/identity.js';
import { bsuidIndex, phoneIndex } from '../../src/compliance/identifiers.js';

let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token', statuses: false });
  app = await startTestApp(db, fake.url);
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

let seq = 0;
// Now: a reply is only allowed inside the 24-hour window of the message.
const ts = () => String(Math.floor(Date.now() / 1000));
const wamid = (tag: string) => `wamid.HOSTILE.${tag}.${++seq}`;
const phone = () => `3361${String(++seq).padStart(7, '0')}`;
const text = (from: string, id = wamid('t'), body = 'Hello') => ({ from, id, timestamp: ts(), type: 'text', text: { body } });
const status = (id = wamid('s'), st = 'delivered', extra: Record<string, unknown> = {}) => ({ id, status: st, timestamp: ts(), recipient_id: '33600000000', ...extra });
const value = (v: Record<string, unknown>) => ({ messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: 'PN1' }, ...v });
const change = (v: Record<string, unknown>) => ({ field: 'messages', value: value(v) });
const envelope = (...changes: unknown[]) => ({ object: 'whatsapp_business_account', entry: [{ id: 'WABA1', changes }] });
const contact = (waId: string) => ({ profile: { name: 'Test Patient' }, wa_id: waId });

// A marker replaced in the JSON text by nesting that JSON.stringify could not produce.
const DEEP = '__DEEP__';
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

interface Case {
  name: string;
  /** The JSON text to sign and send. */
  body: string;
  /** Good messages: each must be stored and answered. */
  messages: { id: string; from: string }[];
  /** Good statuses: each must be stored. */
  statuses: string[];
  dead: number;
}

/** One case: a bad part beside good messages and statuses, all in one POST. */
function withGood(name: string, bad: (good: { from: string; msg: Record<string, unknown>; st: Record<string, unknown> }) => unknown, dead: number, deepLevels = 0): Case {
  const from = phone();
  const msg = text(from);
  const st = status();
  const json = JSON.stringify(bad({ from, msg, st }));
  const body = deepLevels ? json.replace(JSON.stringify(DEEP), deep(deepLevels)) : json;
  if (deepLevels && body === json) throw new Error(`case ${name}: no ${DEEP} marker to replace`);
  return {
    name,
    body,
    messages: [{ id: msg.id, from }],
    statuses: [st['id'] as string],
    dead,
  };
}

/**
 * The usual shape: good message and status in one change, the odd item in `list` beside them. With
 * `dead` 0 the odd item is sound enough to keep, and must be stored too.
 */
function beside(name: string, list: 'messages' | 'statuses' | 'contacts', badItem: unknown, dead = 1, deepLevels = 0): Case {
  const c = withGood(name, ({ from, msg, st }) => envelope(change({ contacts: list === 'contacts' ? [badItem, contact(from)] : [contact(from)], messages: list === 'messages' ? [badItem, msg] : [msg] }), change({ statuses: list === 'statuses' ? [st, badItem] : [st] })), dead, deepLevels);
  if (dead === 0 && list === 'statuses') c.statuses.push((badItem as { id: string }).id);
  if (dead === 0 && list === 'messages') c.messages.push(badItem as { id: string; from: string });
  return c;
}

const NUL = '\u0000';
const LONE_HIGH = '\uD800';
const LONE_LOW = '\uDC00';

const cases: Case[] = [
  // Nesting: JSON.stringify (encryption) and recursive code throw RangeError far below 10⁴ levels.
  { name: 'a body that is only nesting (10⁴)', body: deep(10_000), messages: [], statuses: [], dead: 1 },
  { name: 'a body that is only nesting (10⁵)', body: `{"object":"whatsapp_business_account","entry":${deep(100_000)}}`, messages: [], statuses: [], dead: 1 },
  beside('nesting inside a message', 'messages', { ...text(phone()), text: { body: 'x', extra: DEEP } }, 1, 10_000),
  beside('nesting inside a status', 'statuses', status(wamid('s'), 'read', { pricing: DEEP }), 1, 20_000),
  beside('nesting inside a contact', 'contacts', { profile: { name: DEEP }, wa_id: '1' }, 1, 10_000),
  withGood('nesting in another field\'s change', ({ from, msg, st }) => envelope({ field: 'account_update', value: { x: DEEP } }, change({ contacts: [contact(from)], messages: [msg], statuses: [st] })), 1, 10_000),
  withGood('nesting in an unknown top-level field', ({ from, msg, st }) => ({ ...envelope(change({ contacts: [contact(from)], messages: [msg], statuses: [st] })), junk: DEEP }), 0, 10_000),
  // NUL: PostgreSQL text cannot hold it (22021).
  beside('NUL in a message id', 'messages', text(phone(), `wamid.${NUL}x`)),
  beside('NUL in from', 'messages', text(`336${NUL}1`)),
  beside('NUL in from_user_id', 'messages', { ...text(phone()), from_user_id: `US.${NUL}1` }),
  beside('NUL in a message type', 'messages', { ...text(phone()), type: `te${NUL}xt` }),
  beside('NUL in a status id', 'statuses', status(`wamid.${NUL}s`)),
  beside('NUL in a status', 'statuses', status(wamid('s'), `read${NUL}`)),
  beside('NUL in a contact wa_id', 'contacts', { profile: { name: 'x' }, wa_id: `33${NUL}` }),
  beside('NUL in a contact user_id', 'contacts', { profile: { name: 'x' }, user_id: `US.${NUL}` }),
  beside('a lone surrogate in a contact user_id', 'contacts', { profile: { name: 'x' }, user_id: `US.${LONE_HIGH}` }),
  // Read when the message is processed (patients' columns): the unstorable value reads as absent, the message is answered.
  beside('NUL in from_parent_user_id', 'messages', { ...text(phone()), from_parent_user_id: `US.ENT.${NUL}` }, 0),
  withGood('NUL in a change field', ({ from, msg, st }) => envelope({ field: `account${NUL}update`, value: {} }, change({ contacts: [contact(from)], messages: [msg], statuses: [st] })), 1),
  // Kept, with the informational field made storable or dropped: the status itself is sound.
  beside('NUL in a status recipient and callback data', 'statuses', status(wamid('s'), 'sent', { recipient_id: `33${NUL}`, biz_opaque_callback_data: `pl:1${NUL}` }), 0),
  beside('NUL in a status recipient_user_id', 'statuses', status(wamid('s'), 'read', { recipient_id: undefined, recipient_user_id: `US.${NUL}` }), 0),
  beside('NUL in a status error title', 'statuses', status(wamid('s'), 'failed', { errors: [{ code: 131047, title: `Re${NUL}engagement`, error_data: { details: NUL } }] }), 0),
  // The old NUL filter turned a literal backslash-u0000 into broken JSON for jsonb.
  beside('a literal \\u0000 escape in a status error title', 'statuses', status(wamid('s'), 'failed', { errors: [{ code: 131026, title: 'a\\u0000b' }] }), 0),
  beside('a literal \\u0000 escape in a key of status pricing', 'statuses', status(wamid('s'), 'sent', { pricing: { 'a\\u0000': true, [`b${NUL}`]: 1 } }), 0),
  // Lone surrogates: refused by jsonb (22P02); in a text column they would silently become U+FFFD.
  beside('a lone surrogate in a message id', 'messages', text(phone(), `wamid.${LONE_HIGH}`)),
  beside('a lone surrogate in from', 'messages', text(`3361${LONE_LOW}`)),
  beside('a lone surrogate in a status id', 'statuses', status(`wamid.${LONE_LOW}x`)),
  beside('a lone surrogate in a status error', 'statuses', status(wamid('s'), 'failed', { errors: [{ code: 131000, title: `x${LONE_HIGH}`, message: LONE_LOW, [LONE_HIGH]: 1 }] }), 0),
  // Wrong types and values out of range.
  beside('a number as message id', 'messages', { ...text(phone()), id: 12345 }),
  beside('an object as timestamp', 'messages', { ...text(phone()), timestamp: { s: 1 } }),
  beside('a timestamp beyond any date', 'messages', { ...text(phone()), timestamp: 1e20 }),
  beside('a negative timestamp', 'statuses', status(wamid('s'), 'read', { timestamp: -5 })),
  beside('an error code beyond int4', 'statuses', status(wamid('s'), 'failed', { errors: [{ code: 2 ** 40 }] }), 0),
  beside('errors as a string', 'statuses', status(wamid('s'), 'failed', { errors: 'oops' }), 0),
  beside('a number as recipient', 'statuses', status(wamid('s'), 'sent', { recipient_id: 33600000000 }), 0),
  beside('a string as message', 'messages', 'not a message'),
  beside('null as message', 'messages', null),
  beside('a string as status', 'statuses', 'not a status'),
  beside('an array as contact', 'contacts', ['x']),
  withGood('statuses as an object', ({ from, msg, st }) => envelope(change({ contacts: [contact(from)], messages: [msg], statuses: { id: 'x' } }), change({ statuses: [st] })), 1),
  withGood('messages as a string', ({ from, msg, st }) => envelope(change({ contacts: [contact(from)], messages: 'x', statuses: [st] }), change({ contacts: [contact(from)], messages: [msg] })), 1),
  withGood('contacts as a string', ({ msg, st }) => envelope(change({ contacts: 'x', messages: [msg], statuses: [st] })), 1),
  withGood('errors as a number', ({ from, msg, st }) => envelope(change({ contacts: [contact(from)], messages: [msg], statuses: [st], errors: 7 })), 1),
  withGood('a value that is a string', ({ from, msg, st }) => envelope({ field: 'messages', value: 'x' }, change({ contacts: [contact(from)], messages: [msg], statuses: [st] })), 1),
  withGood('metadata that is a string', ({ from, msg, st }) => envelope({ field: 'messages', value: { metadata: 'x', messages: [text(phone())] } }, change({ contacts: [contact(from)], messages: [msg], statuses: [st] })), 1),
  withGood('changes that are a string', ({ from, msg, st }) => ({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: 'x' }, { id: 'W', changes: [change({ contacts: [contact(from)], messages: [msg], statuses: [st] })] }] }), 1),
  withGood('entries that are not objects', ({ from, msg, st }) => ({ object: 'whatsapp_business_account', entry: [1, 'x', null, { id: 'W', changes: [change({ contacts: [contact(from)], messages: [msg], statuses: [st] })] }] }), 3),
  { name: 'entry as a string', body: JSON.stringify({ object: 'whatsapp_business_account', entry: 'x' }), messages: [], statuses: [], dead: 1 },
  { name: 'a JSON string as body', body: '"hello"', messages: [], statuses: [], dead: 1 },
  { name: 'null as body', body: 'null', messages: [], statuses: [], dead: 1 },
  // Missing fields.
  beside('a message without id', 'messages', { from: phone(), timestamp: ts(), type: 'text', text: { body: 'x' } }),
  beside('a message without timestamp', 'messages', { from: phone(), id: wamid('m'), type: 'text', text: { body: 'x' } }),
  beside('a message without type', 'messages', { from: phone(), id: wamid('m'), timestamp: ts() }),
  beside('a status without status', 'statuses', { id: wamid('s'), timestamp: ts() }),
  withGood('a message without any sender beside two contacts', ({ from, msg, st }) => envelope(change({ contacts: [contact(from), contact(phone())], messages: [{ id: wamid('m'), timestamp: ts(), type: 'text', text: { body: 'x' } }, msg], statuses: [st] })), 1),
  withGood('a change without field', ({ from, msg, st }) => envelope({ value: {} }, change({ contacts: [contact(from)], messages: [msg], statuses: [st] })), 1),
  // Unknown fields and unknown content are stored and answered, never dead-lettered.
  withGood('unknown fields everywhere', ({ from, msg, st }) => ({ ...envelope({ ...change({ contacts: [{ ...contact(from), x: 1 }], messages: [{ ...msg, extra: { a: [1] } }], statuses: [{ ...st, new_field: 'y' }], novel: true }), also: 2 }), more: 'z' }), 0),
];

/** Good messages whose content is odd but storable: each is stored exactly and answered. */
function oddButGood(): { name: string; message: Record<string, unknown>; words: string | null }[] {
  return [
    { name: 'NUL in the text', message: text(phone(), wamid('odd'), `a${NUL}b`), words: `a${NUL}b` },
    { name: 'a literal \\u0000 in the text', message: text(phone(), wamid('odd'), 'a\\u0000b'), words: 'a\\u0000b' },
    { name: 'a lone surrogate in the text', message: text(phone(), wamid('odd'), `x${LONE_HIGH}y`), words: `x${LONE_HIGH}y` },
    { name: 'text as a string instead of an object', message: { ...text(phone()), text: 'hello' }, words: null },
    { name: 'an unknown type', message: { ...text(phone()), type: 'hologram', hologram: { x: 1 } }, words: null },
    { name: 'from "" beside a BSUID', message: { ...text(''), from_user_id: `US.${++seq}` }, words: 'Hello' },
  ];
}

async function post(body: string): Promise<number> {
  const r = await fetch(`${app.base}/webhooks/whatsapp`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, APP_SECRET) } });
  await r.arrayBuffer();
  return r.status;
}

const count = async (table: 'inbound_messages' | 'status_events' | 'webhook_dead_letters') =>
  (await db.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

async function answered(m: { id: string; from: string }): Promise<boolean> {
  const row = await db.db.selectFrom('inbound_messages').select(['state', 'patient_id']).where('wamid', '=', m.id).executeTakeFirst();
  if (row?.state !== 'done') return false;
  const replies = await db.db.selectFrom('outbox').select('id').where('patient_id', '=', row.patient_id).where('kind', '!=', 'read').where('state', '=', 'sent').execute();
  return replies.length > 0;
}

describe('hostile signed webhooks', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: 200, every good item stored and answered, only the bad part dead-lettered', async (_name, c) => {
    const before = { messages: await count('inbound_messages'), statuses: await count('status_events'), dead: await count('webhook_dead_letters') };
    expect(await post(c.body)).toBe(200);
    expect(await count('webhook_dead_letters')).toBe(before.dead + c.dead);
    expect(await count('inbound_messages')).toBe(before.messages + c.messages.length);
    expect(await count('status_events')).toBe(before.statuses + c.statuses.length);
    for (const id of c.statuses) expect(await db.db.selectFrom('status_events').select('id').where('wamid', '=', id).executeTakeFirst(), id).toBeDefined();
    for (const m of c.messages) expect(await waitFor(() => answered(m)), m.id).toBe(true);
  });

  it('the table holds cases, most of them with good items beside the bad one', () => {
    expect(cases.length).toBeGreaterThan(40);
    expect(cases.filter((c) => c.messages.length > 0 && c.statuses.length > 0).length).toBeGreaterThan(30);
  });

  it.each(oddButGood().map((c) => [c.name, c] as const))('stores %s exactly and answers it', async (_name, c) => {
    const body = JSON.stringify(envelope(change({ messages: [c.message] })));
    const dead = await count('webhook_dead_letters');
    expect(await post(body)).toBe(200);
    expect(await count('webhook_dead_letters')).toBe(dead);
    const id = c.message['id'] as string;
    const row = await db.db.selectFrom('inbound_messages').select(['payload', 'patient_id']).where('wamid', '=', id).executeTakeFirstOrThrow();
    const stored = (await openInbound(db.db, app.services, row)) as { message: { text?: unknown } };
    expect(stored.message).toEqual(c.message);
    if (c.words !== null) expect((stored.message.text as { body: string }).body).toBe(c.words);
    expect(await waitFor(() => answered({ id, from: String(c.message['from']) }))).toBe(true);
  });

  it('keeps status details readable when they had unstorable characters', async () => {
    const id = wamid('details');
    const body = JSON.stringify(envelope(change({ statuses: [status(id, 'failed', { errors: [{ code: 131047, title: `Re${NUL}engage${LONE_HIGH}`, message: 'a\\u0000b' }] })] })));
    expect(await post(body)).toBe(200);
    const row = await db.db.selectFrom('status_events').select(['error_code', 'details']).where('wamid', '=', id).executeTakeFirstOrThrow();
    expect(row.error_code).toBe(131047);
    expect(row.details).toMatchObject({ errors: [{ code: 131047, title: 'Re\uFFFDengage\uFFFD', message: 'a\\u0000b' }] });
  });
});

describe('what the placeholder bot leaves unanswered, and senders named only by their contact', () => {
  async function processed(id: string) {
    const row = await waitFor(async () => {
      const r = await db.db.selectFrom('inbound_messages').select(['state', 'patient_id', 'sender_key', 'wa_id_index', 'bsuid_index']).where('wamid', '=', id).executeTakeFirst();
      return r?.state === 'done' ? r : undefined;
    });
    expect(row, id).toBeDefined();
    // The replies commit with the "done" mark: what the outbox holds now is all there will be.
    const outbox = await db.db.selectFrom('outbox').select(['kind']).where('patient_id', '=', row!.patient_id).orderBy('id').execute();
    return { row: row!, kinds: outbox.map((o) => o.kind) };
  }
  const send = async (message: Record<string, unknown>, contacts?: unknown[]) => {
    const dead = await count('webhook_dead_letters');
    expect(await post(JSON.stringify(envelope(change({ ...(contacts ? { contacts } : {}), messages: [message] }))))).toBe(200);
    expect(await count('webhook_dead_letters')).toBe(dead);
    return processed(message['id'] as string);
  };

  it.each([
    ['an edit', { type: 'edit', edit: { original_message_id: 'wamid.ORIGINAL', message: { type: 'text', text: { body: 'Thursday' } } } }],
    ['a deletion', { type: 'revoke', revoke: { original_message_id: 'wamid.ORIGINAL' } }],
    ['a malformed edit', { type: 'edit', edit: { message: 'x' } }],
    ['a malformed deletion', { type: 'revoke', revoke: 7 }],
  ])('records %s and sends nothing, not even a read receipt', async (_name, content) => {
    const from = phone();
    const { kinds } = await send({ from, id: wamid('edit'), timestamp: ts(), ...content }, [contact(from)]);
    expect(kinds).toEqual([]);
  });

  it('records a call permission answer and only marks it read', async () => {
    const from = phone();
    const { kinds } = await send(
      { from, id: wamid('cpr'), timestamp: ts(), type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, expiration_timestamp: Number(ts()) + 604_800, response_source: 'user_action' } } },
      [contact(from)],
    );
    expect(kinds).toEqual(['read']);
  });

  it('accepts a sender named only by the one contact\'s user_id, and answers them', async () => {
    const userId = `US.${++seq}${Date.now()}`;
    const id = wamid('bsuid');
    const { row } = await send({ id, timestamp: ts(), type: 'text', text: { body: 'Hello' } }, [{ profile: { name: 'Username User', username: 'uu' }, user_id: userId }]);
    expect(row).toMatchObject({ sender_key: senderKeyOf(app.services.cipher, { bsuid: userId }), bsuid_index: bsuidIndex(app.services.cipher, userId), wa_id_index: null });
    expect(await waitFor(() => answered({ id, from: '' }))).toBe(true);
  });

  it('accepts a sender named only by the one contact\'s wa_id, and answers them', async () => {
    const from = phone();
    const id = wamid('waid');
    const { row } = await send({ id, timestamp: ts(), type: 'text', text: { body: 'Hello' } }, [contact(from)]);
    expect(row).toMatchObject({ sender_key: senderKeyOf(app.services.cipher, { phone: from }), wa_id_index: phoneIndex(app.services.cipher, from) });
    expect(await waitFor(() => answered({ id, from }))).toBe(true);
  });
});

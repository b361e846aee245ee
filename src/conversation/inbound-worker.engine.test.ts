// The inbound worker with the engine: understanding runs OUTSIDE the claiming transaction (the database is
// never held while a message is parsed), each message is parsed once, and what the engine decided (replies,
// session, handoff, alert, language) commits with the "done" mark.
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../analytics/metrics.js';
import type { DB } from '../db/schema.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { cipher, keys, person, storeText } from '../../test/support/inbound.js';
import { emergencyReply, FLOWS } from '../flows/index.js';
import type { Nlu, NluResult, ParseOptions } from '../nlu/types.js';
import { faqEntriesLookup } from './faq-entries.js';
import { InboundWorker } from './inbound-worker.js';
import { loadSession } from './state.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.close();
});

/** The same database, counting how many of its transactions are open right now. */
function counting(db: Kysely<DB>): { db: Kysely<DB>; open: () => number } {
  let open = 0;
  const transaction = () => ({
    execute: async <T>(cb: (tx: Parameters<Parameters<ReturnType<Kysely<DB>['transaction']>['execute']>[0]>[0]) => Promise<T>): Promise<T> => {
      open++;
      try {
        return await db.transaction().execute(cb);
      } finally {
        open--;
      }
    },
  });
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') return transaction;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: wrapped, open: () => open };
}

/** An understanding layer that records, for every parse, how many transactions were open. */
function recordingNlu(open: () => number): Nlu & { calls: { text: string; openTransactions: number; language?: string | undefined }[] } {
  const calls: { text: string; openTransactions: number; language?: string | undefined }[] = [];
  return {
    calls,
    parse(text: string, opts: ParseOptions): NluResult {
      calls.push({ text, openTransactions: open(), language: opts.language });
      const emergency = text.includes('chest pain');
      return {
        language: 'en', languageConfidence: 0.95, intent: emergency ? 'symptoms' : text === 'talk to someone' ? 'talk_to_human' : 'other', confidence: 0.9,
        alternatives: [], emergency, redFlags: emergency ? [{ kind: 'chest_pain', match: 'chest pain' }] : [], entities: {},
      };
    },
  };
}

describe('the inbound worker with the engine', () => {
  it('parses each message once, with no transaction open, and commits what the engine decided with the message', async () => {
    const { db, open } = counting(t.db);
    const nlu = recordingNlu(open);
    const worker = new InboundWorker({
      db, cipher, keys, clock: { now: () => new Date() }, log: pino({ level: 'silent' }), metrics: createMetrics(t.db),
      engine: { nlu, faq: faqEntriesLookup, flows: FLOWS, emergencyReply }, concurrency: 2,
      onReplies: () => {}, onMedia: () => {}, instanceId: 'engine-test',
    });
    const a = person();
    const b = person();
    await storeText(t.db, a, 'talk to someone');
    await storeText(t.db, b, 'I have chest pain');
    await storeText(t.db, a, 'blorp');
    let n = 0;
    while ((await worker.tick()) > 0) n++;
    expect(n).toBeGreaterThan(0);

    expect(nlu.calls.map((c) => c.text).sort()).toEqual(['I have chest pain', 'blorp', 'talk to someone']);
    expect(nlu.calls.every((c) => c.openTransactions === 0)).toBe(true);
    // The second message of a saw the language the first one stored.
    expect(nlu.calls.find((c) => c.text === 'blorp')?.language).toBe('en');

    const rows = await t.db.selectFrom('inbound_messages').select(['state', 'patient_id']).where('state', '<>', 'done').execute();
    expect(rows).toEqual([]);
    const handoffs = await t.db.selectFrom('handoffs').select(['reason', 'priority', 'last_patient_message_at']).orderBy('priority').execute();
    expect(handoffs.map((h) => [h.reason, h.priority]).sort()).toEqual([['emergency', 'emergency'], ['requested', 'normal']]);
    // a's "blorp" came during a's handoff: silent, but the handoff was touched.
    const requested = handoffs.find((h) => h.reason === 'requested');
    expect(requested?.last_patient_message_at).toBeInstanceOf(Date);
    const alerts = await t.db.selectFrom('staff_alerts').select(['kind', 'codes']).execute();
    expect(alerts).toEqual([{ kind: 'emergency', codes: ['chest_pain'] }]);
    const patients = await t.db.selectFrom('patients').select(['id', 'language']).execute();
    expect(patients.every((p) => p.language === 'en')).toBe(true);
    const sessions = await Promise.all(patients.map((p) => loadSession(t.db, keys, p.id)));
    expect(sessions.every((s) => s.flow === null)).toBe(true);
  });

  it('a red flag during a handoff raises that handoff to emergency, reading the handoff once per message of a known patient (none for their first)', async () => {
    let handoffReads = 0;
    // Counts SELECTs from handoffs (the worker's transactions inherit the plugin).
    const db = t.db.withPlugin({
      transformQuery(args) {
        const node = args.node as { kind: string; from?: { froms: { kind: string; table?: { identifier?: { name?: string } } }[] } };
        if (node.kind === 'SelectQueryNode' && node.from?.froms.some((f) => f.table?.identifier?.name === 'handoffs')) handoffReads++;
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    });
    const worker = new InboundWorker({
      db, cipher, keys, clock: { now: () => new Date() }, log: pino({ level: 'silent' }), metrics: createMetrics(t.db),
      engine: { nlu: recordingNlu(() => 0), faq: faqEntriesLookup, flows: FLOWS, emergencyReply }, concurrency: 1,
      onReplies: () => {}, onMedia: () => {}, instanceId: 'engine-test-3',
    });
    const who = person();
    const first = await storeText(t.db, who, 'talk to someone');
    await storeText(t.db, who, 'I have chest pain');
    while ((await worker.tick()) > 0);
    const patientId = (await t.db.selectFrom('inbound_messages').select('patient_id').where('id', '=', first).executeTakeFirstOrThrow()).patient_id!;
    const h = await t.db.selectFrom('handoffs').select(['reason', 'priority', 'state']).where('patient_id', '=', patientId).execute();
    expect(h).toEqual([{ reason: 'requested', priority: 'emergency', state: 'open' }]);
    // The first message created the patient (no handoff can exist yet); the second read the one it opened.
    expect(handoffReads).toBe(1);
  });

  it('answers a red flag even when the NLU throws on the message: the detector runs on its own', async () => {
    const broken: Nlu = { parse: () => { throw new Error('model exploded'); } };
    const worker = new InboundWorker({
      db: t.db, cipher, keys, clock: { now: () => new Date() }, log: pino({ level: 'silent' }), metrics: createMetrics(t.db),
      engine: { nlu: broken, faq: faqEntriesLookup, flows: FLOWS, emergencyReply }, concurrency: 1,
      onReplies: () => {}, onMedia: () => {}, instanceId: 'engine-test-2',
    });
    const who = person();
    const id = await storeText(t.db, who, 'my father has crushing chest pain and is sweating');
    while ((await worker.tick()) > 0);
    const row = await t.db.selectFrom('inbound_messages').select(['state', 'patient_id']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.state).toBe('done');
    const out = await t.db.selectFrom('outbox').select(['kind', 'payload']).where('caused_by', '=', id).where('kind', '<>', 'read').orderBy('id').execute();
    const own = await keys.forPatient(t.db, row.patient_id!);
    const first = own.decryptJson(out[0]!.payload) as { type: string; text?: { body: string } };
    expect(first.type).toBe('text');
    expect(first.text?.body).toContain('112');
    const h = await t.db.selectFrom('handoffs').select('priority').where('patient_id', '=', row.patient_id!).execute();
    expect(h).toEqual([{ priority: 'emergency' }]);
  });
});

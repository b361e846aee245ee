// Consent and opt-out end to end inside one process: messages stored through the real intake, processed by
// the real inbound worker with the conversation engine, sent by the real sender to the fake Graph API.
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { adjustableClock } from '../../test/support/clock.js';
import { startFakeGraph, type FakeGraph } from '../../test/support/fake-graph.js';
import { cipher, keys, person, storeMessage, storeText, messageFrom } from '../../test/support/inbound.js';
import { phoneIndex } from './identifiers.js';
import { createMetrics } from '../analytics/metrics.js';
import { faqEntriesLookup } from '../conversation/index.js';
import { emergencyReply, FLOWS } from '../flows/index.js';
import { InboundWorker } from '../conversation/inbound-worker.js';
import type { OutboxPurpose } from '../db/schema.js';
import { applyStatuses } from '../whatsapp/statuses.js';
import { GraphClient, type SendOutcome } from '../whatsapp/graph-client.js';
import { decodeItem, enqueue } from '../whatsapp/outbox.js';
import { text } from '../whatsapp/outbound.js';
import { Sender } from '../whatsapp/sender.js';
import { CONSENT_WORDS, currentConsents, consentHistory, recordConsent } from './index.js';

let db: TestDatabase;
let fake: FakeGraph;
let graph: GraphClient;
const clock = adjustableClock();
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: 'consent-test-secret', token: 'consent-test-token', statuses: false });
  graph = new GraphClient({ apiUrl: fake.url, apiVersion: 'v26.0', accessToken: 'consent-test-token', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 5000 });
});
afterAll(async () => {
  await fake?.close();
  await db?.close();
});
beforeEach(async () => {
  fake.setFaults(() => 'ok');
  await db.db.updateTable('send_schedule').set({ next_slot: new Date(0) }).execute();
});

const worker = () => new InboundWorker({
  db: db.db, cipher, keys, clock, log: silent, metrics: createMetrics(db.db), engine: { nlu: null, faq: faqEntriesLookup, flows: FLOWS, emergencyReply }, concurrency: 1,
  onReplies: () => {}, onMedia: () => {}, instanceId: 'consent-test',
});

function sender(g: Pick<GraphClient, 'sendMessage'> = graph): Sender {
  return new Sender({ db: db.db, cipher, keys, graph: g, metrics: createMetrics(db.db), log: silent, clock, mps: 80, sendTimeoutMs: 1000, reconcileMs: 2000 });
}

/** Sends until nothing more is due (one in flight per patient: a claim waits for the previous send to settle). */
async function sendAll(s: Sender = sender()): Promise<void> {
  for (;;) {
    let claimed = 0;
    for (let n; (n = await s.tick()) > 0; ) claimed += n;
    await s.drain();
    if (claimed === 0) return;
  }
}

/** The patient writes `body`; the inbound worker processes it. Returns the inbound row id. */
async function say(who: { phone: string; bsuid: string }, body: string): Promise<number> {
  const id = await storeText(db.db, who, body);
  const w = worker();
  while (await w.processOne());
  const row = await db.db.selectFrom('inbound_messages').select('state').where('id', '=', id).executeTakeFirstOrThrow();
  expect(row.state).toBe('done');
  return id;
}

/** What the bot answered to one inbound message (read receipts aside). */
async function answers(inboundId: number) {
  const rows = await db.db.selectFrom('outbox').select(['id', 'patient_id', 'kind', 'payload', 'purpose', 'state']).where('caused_by', '=', inboundId).where('kind', '<>', 'read').orderBy('id').execute();
  // Payloads are sealed under the patient's data key.
  return Promise.all(rows.map(async (r) => {
    if (!r.patient_id) throw new Error(`outbox ${r.id}: a reply without a patient`);
    return { ...r, item: decodeItem(await keys.forPatient(db.db, r.patient_id), r.payload) };
  }));
}

async function patientOf(who: { phone: string }) {
  return db.db.selectFrom('patients').selectAll().where('wa_id_index', '=', phoneIndex(cipher, who.phone)).executeTakeFirstOrThrow();
}

async function businessMessage(patientId: string, phone: string, body: string, purpose: OutboxPurpose = 'care', notBefore?: Date): Promise<number> {
  const [id] = await enqueue(db.db, await keys.forPatient(db.db, patientId), { patientId, phone, bsuid: null }, [text(body)], { purpose, ...(notBefore ? { notBefore } : {}) });
  return id!;
}

async function outboxRow(id: number) {
  return db.db.selectFrom('outbox').select(['state', 'error_title', 'purpose']).where('id', '=', id).executeTakeFirstOrThrow();
}

const bodyOf = (item: unknown) => (item && typeof item === 'object' && 'text' in item && item.text && typeof item.text === 'object' && 'body' in item.text ? item.text.body : null);

describe('STOP and its equivalents, alone in a message', () => {
  const variants: [string, string][] = [
    ['STOP', 'en'], ['stop', 'en'], ['Stop!', 'en'], ['  STOP.  ', 'en'], ['STOP 🛑', 'en'], ['Unsubscribe', 'en'],
    ['ARRÊT', 'fr'], ['arret', 'fr'], ['Arrêt !', 'fr'], ['désabonner', 'fr'],
    ['BAJA', 'es'], ['dar de baja', 'es'], ['Baja.', 'es'],
    ['Sair', 'pt'], ['SAIR', 'pt'], ['cancelar inscrição', 'pt'],
    ['ABMELDEN', 'de'], ['Stopp', 'de'], ['austragen', 'de'],
    ['BASTA', 'it'], ['Disiscrivimi', 'it'],
  ];
  it.each(variants)('"%s" opts out, confirmed with exactly one message in %s and no menu', async (word, language) => {
    const p = person();
    const id = await say(p, word);
    const out = await answers(id);
    expect(out.map((o) => o.kind)).toEqual(['text']);
    expect(bodyOf(out[0]!.item)).toBe(CONSENT_WORDS.get(language)!.confirmOptOut);
    expect(out[0]!.purpose).toBe('reply');
    const patient = await patientOf(p);
    expect(patient.opted_out_at).not.toBeNull();
    const history = await consentHistory(db.db, patient.id, { limit: 10 });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ purpose: 'all', granted: false, channel: 'whatsapp', language, recordedBy: null });
    expect(history[0]!.source).toMatch(/^keyword:/);
    const audit = await db.db.selectFrom('audit_log').select(['action', 'details']).where('patient_id', '=', patient.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['consent.opt_out', 'message.in']);
    // The confirmation goes out, although the patient has just opted out: it answers their own message.
    await sendAll();
    expect(fake.delivered(p.phone)).toHaveLength(1);
  });

  it('confirms in the patient\'s stored language when the word is shared by several languages, else in English', async () => {
    const it1 = person();
    await say(it1, 'ciao');
    await db.db.updateTable('patients').set({ language: 'it' }).where('wa_id_index', '=', phoneIndex(cipher, it1.phone)).execute();
    const out = await answers(await say(it1, 'STOP'));
    expect(out.map((o) => bodyOf(o.item))).toEqual([CONSENT_WORDS.get('it')!.confirmOptOut]);

    const pt = person();
    await say(pt, 'olá');
    await db.db.updateTable('patients').set({ language: 'pt-BR' }).where('wa_id_index', '=', phoneIndex(cipher, pt.phone)).execute();
    expect((await answers(await say(pt, 'parar'))).map((o) => bodyOf(o.item))).toEqual([CONSENT_WORDS.get('pt')!.confirmOptOut]);

    const unknown = person();
    expect((await answers(await say(unknown, 'PARAR'))).map((o) => bodyOf(o.item))).toEqual([CONSENT_WORDS.get('en')!.confirmOptOut]);
  });

  it.each(['stop smoking tips', 'I want to cancel my appointment', 'CANCEL', 'stopping', 'baja la fiebre?', 'Is the clinic open? STOP'])(
    '"%s" is an ordinary message: the handler answers, nothing is recorded', async (body) => {
      const p = person();
      const out = await answers(await say(p, body));
      expect(out.map((o) => o.kind)).toEqual(['interactive']);
      const patient = await patientOf(p);
      expect(patient.opted_out_at).toBeNull();
      expect(await consentHistory(db.db, patient.id, { limit: 10 })).toEqual([]);
    });

  it('a quick-reply button saying STOP opts out too', async () => {
    const p = person();
    const id = await storeMessage(db.db, messageFrom(p, { type: 'button', button: { payload: 'STOP_PROMOTIONS', text: 'Stop' } }));
    const w = worker();
    while (await w.processOne());
    expect((await answers(id)).map((o) => bodyOf(o.item))).toEqual([CONSENT_WORDS.get('en')!.confirmOptOut]);
    expect((await patientOf(p)).opted_out_at).not.toBeNull();
  });
});

describe('send-time refusal after STOP', () => {
  it('cancels business-initiated messages enqueued before (due after) and after the STOP, still answers the patient, and START resumes', async () => {
    const p = person();
    await say(p, 'hello');
    await sendAll();
    const patient = await patientOf(p);
    expect(fake.delivered(p.phone)).toHaveLength(1);
    // A reminder scheduled before the STOP, due a minute later (the patient's later messages wait behind it:
    // one patient's messages go in order).
    const early = await businessMessage(patient.id, p.phone, 'Reminder: appointment tomorrow at 10:00', 'care', new Date(clock.now().getTime() + 60_000));
    const stop = await say(p, 'STOP');
    const late = await businessMessage(patient.id, p.phone, 'Your results are ready', 'sensitive');
    const survey = await businessMessage(patient.id, p.phone, 'How was your visit?', 'surveys');
    await sendAll();
    expect(await outboxRow(early)).toMatchObject({ state: 'pending' });
    clock.advance(61_000);
    await sendAll();
    expect(fake.delivered(p.phone)).toHaveLength(2); // hello's menu, the STOP confirmation
    expect(await outboxRow(early)).toMatchObject({ state: 'cancelled', error_title: 'consent withdrawn' });
    expect(await outboxRow(late)).toMatchObject({ state: 'cancelled', error_title: 'consent withdrawn' });
    expect(await outboxRow(survey)).toMatchObject({ state: 'cancelled', error_title: 'consent withdrawn' });
    const refused = await db.db.selectFrom('audit_log').select(['target', 'details']).where('patient_id', '=', patient.id).where('action', '=', 'message.refused').orderBy('id').execute();
    expect(refused.map((r) => r.target).sort()).toEqual([`outbox:${early}`, `outbox:${late}`, `outbox:${survey}`].sort());
    expect((await answers(stop)).map((o) => o.state)).toEqual(['sent']);

    // The patient's own question is still answered.
    const question = await say(p, 'What are your opening hours?');
    await sendAll();
    expect((await answers(question)).map((o) => [o.purpose, o.state])).toEqual([['reply', 'sent']]);
    expect(fake.delivered(p.phone)).toHaveLength(3);

    // Only an explicit START opts back in; then business messages go again.
    const start = await say(p, 'START');
    expect((await answers(start)).map((o) => bodyOf(o.item))).toEqual([CONSENT_WORDS.get('en')!.confirmOptIn]);
    expect((await patientOf(p)).opted_out_at).toBeNull();
    const after = await businessMessage(patient.id, p.phone, 'Reminder: appointment on Friday', 'care');
    await sendAll();
    expect(await outboxRow(after)).toMatchObject({ state: 'sent' });
    expect(fake.delivered(p.phone)).toHaveLength(5);
    const actions = (await db.db.selectFrom('audit_log').select('action').where('patient_id', '=', patient.id).where('action', 'like', 'consent.%').orderBy('id').execute()).map((r) => r.action);
    expect(actions).toEqual(['consent.opt_out', 'consent.opt_in']);
  });

  it('START in other languages opts back in, confirmed in that language', async () => {
    for (const [word, language] of [['DÉMARRER', 'fr'], ['alta', 'es'], ['Voltar', 'pt'], ['ANMELDEN', 'de'], ['riprendi', 'it']] as const) {
      const p = person();
      await say(p, 'STOP');
      const out = await answers(await say(p, word));
      expect(out.map((o) => bodyOf(o.item)), word).toEqual([CONSENT_WORDS.get(language)!.confirmOptIn]);
      expect((await patientOf(p)).opted_out_at, word).toBeNull();
    }
  });

  it('one purpose withdrawn leaves the others', async () => {
    const p = person();
    await say(p, 'hello');
    const patient = await patientOf(p);
    await db.db.transaction().execute((tx) => recordConsent(tx, {
      patientId: patient.id, purpose: 'surveys', granted: false, textVersion: 'desk-1', language: 'en', channel: 'desk', recordedBy: null,
      source: 'desk', actor: { type: 'system', id: 'test' }, at: clock.now(),
    }));
    const survey = await businessMessage(patient.id, p.phone, 'How was your visit?', 'surveys');
    const reminder = await businessMessage(patient.id, p.phone, 'Reminder: appointment tomorrow', 'care');
    const news = await businessMessage(patient.id, p.phone, 'Flu vaccines are here', 'campaigns');
    await sendAll();
    expect((await outboxRow(survey)).state).toBe('cancelled');
    expect((await outboxRow(reminder)).state).toBe('sent');
    expect((await outboxRow(news)).state).toBe('sent');
    const now = await currentConsents(db.db, patient.id);
    expect(now).toMatchObject({ surveys: { granted: false, channel: 'desk' }, care: null, campaigns: null, sensitive: null, optedOut: false });
  });
});

describe("Meta's 131050 (the user stopped marketing messages)", () => {
  const stopped = (): Pick<GraphClient, 'sendMessage'> => ({
    async sendMessage(): Promise<SendOutcome> {
      return { kind: 'error', error: { httpStatus: 400, code: 131050, title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.', details: null, fbtraceId: null } };
    },
  });

  it('on a send error: campaigns withdrawn at once, pending campaign rows cancelled, care still goes', async () => {
    const p = person();
    await say(p, 'hello');
    await sendAll();
    const patient = await patientOf(p);
    const first = await businessMessage(patient.id, p.phone, 'Spring check-up offer', 'campaigns');
    await sendAll(sender(stopped()));
    expect(await outboxRow(first)).toMatchObject({ state: 'failed' });
    const next = await businessMessage(patient.id, p.phone, 'Summer check-up offer', 'campaigns', new Date(clock.now().getTime() + 3600_000));
    expect(await outboxRow(next)).toMatchObject({ state: 'pending' });
    // The withdrawal was recorded with the failure; a campaign enqueued later is refused when due.
    const c = await currentConsents(db.db, patient.id);
    expect(c.campaigns).toMatchObject({ granted: false, channel: 'system' });
    expect(c.care).toBeNull();
    const history = await consentHistory(db.db, patient.id, { limit: 5 });
    expect(history[0]).toMatchObject({ purpose: 'campaigns', granted: false, channel: 'system', source: 'meta:131050' });
    clock.advance(3600_000 + 1000);
    const reminder = await businessMessage(patient.id, p.phone, 'Reminder: appointment tomorrow', 'care');
    await sendAll();
    expect(await outboxRow(next)).toMatchObject({ state: 'cancelled', error_title: 'consent withdrawn' });
    expect(await outboxRow(reminder)).toMatchObject({ state: 'sent' });
  });

  it('on a failed status webhook: campaigns withdrawn, pending campaign rows cancelled at once', async () => {
    const p = person();
    await say(p, 'hello');
    await sendAll();
    const patient = await patientOf(p);
    const sent = await businessMessage(patient.id, p.phone, 'Spring check-up offer', 'campaigns');
    await sendAll();
    const row = await db.db.selectFrom('outbox').select(['wamid', 'state']).where('id', '=', sent).executeTakeFirstOrThrow();
    expect(row.state).toBe('sent');
    const queued = await businessMessage(patient.id, p.phone, 'Summer check-up offer', 'campaigns', new Date(clock.now().getTime() + 3600_000));
    await db.db.insertInto('status_events').values({
      wamid: row.wamid!, status: 'failed', occurred_at: clock.now(), callback_data: null, recipient: null, error_code: 131050,
      details: JSON.stringify({ errors: [{ code: 131050, title: 'User has stopped marketing messages' }] }),
    }).execute();
    await applyStatuses(db.db, { clock });
    expect(await outboxRow(sent)).toMatchObject({ state: 'failed' });
    expect(await outboxRow(queued)).toMatchObject({ state: 'cancelled', error_title: 'consent withdrawn' });
    expect((await currentConsents(db.db, patient.id)).campaigns).toMatchObject({ granted: false, channel: 'system' });
    const audit = await db.db.selectFrom('audit_log').select(['action', 'actor_type', 'details']).where('patient_id', '=', patient.id).where('action', 'like', 'consent.%').execute();
    expect(audit).toEqual([{ action: 'consent.withdraw', actor_type: 'system', details: { purpose: 'campaigns', channel: 'system' } }]);
  });
});

describe('the audit trail of messages', () => {
  it('records message.in for each processed message and message.out for each accepted send, not for read receipts', async () => {
    const p = person();
    const id = await say(p, 'hello');
    await sendAll();
    const patient = await patientOf(p);
    const wamid = (await db.db.selectFrom('inbound_messages').select('wamid').where('id', '=', id).executeTakeFirstOrThrow()).wamid;
    const reply = (await answers(id))[0]!;
    const audit = await db.db.selectFrom('audit_log').select(['action', 'actor_type', 'target', 'details']).where('patient_id', '=', patient.id).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'message.in', actor_type: 'patient', target: `wamid:${wamid}`, details: { type: 'text' } },
      { action: 'message.out', actor_type: 'system', target: `outbox:${reply.id}`, details: { kind: 'interactive' } },
    ]);
  });

  it('the consent history cannot be edited or deleted', async () => {
    const p = person();
    await say(p, 'STOP');
    const patient = await patientOf(p);
    await expect(db.db.updateTable('consent_events').set({ granted: true }).where('patient_id', '=', patient.id).execute()).rejects.toThrow(/append-only/);
    await expect(db.db.deleteFrom('consent_events').where('patient_id', '=', patient.id).execute()).rejects.toThrow(/append-only/);
    expect(await consentHistory(db.db, patient.id, { limit: 5 })).toHaveLength(1);
    // Only deleting the patient (erasure) takes the history with it.
    await db.db.deleteFrom('outbox').where('patient_id', '=', patient.id).execute();
    await db.db.deleteFrom('inbound_messages').where('patient_id', '=', patient.id).execute();
    await db.db.deleteFrom('patients').where('id', '=', patient.id).execute();
    expect(await db.db.selectFrom('consent_events').select('id').where('patient_id', '=', patient.id).execute()).toEqual([]);
  });
});

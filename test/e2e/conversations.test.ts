// Scripted conversations through the real webhook, the inbound worker with the real NLU and the sender, to
// the fake Graph API, in six languages: greeting, an FAQ question, a booking intent, opt-out by keyword, an
// emergency from a first-time patient (112 in the FIRST reply); a handoff round trip (bot silent, red flag
// still answered, staff hand back, bot answers again); a restart of the app in the middle of a conversation.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_WORDS } from '../../src/compliance/index.js';
import { closeHandoff, loadSession } from '../../src/conversation/index.js';
import { translator } from '../../src/flows/i18n.js';
import { openDatabase } from '../../src/db/database.js';
import type { Running } from '../../src/main.js';
import type { Language, Nlu } from '../../src/nlu/index.js';
import { createNlu } from '../../src/nlu/nlu.js';
import { DEMO_FAQ } from '../../src/scheduling/demo-faq.js';
import { APP_SECRET, startTestApp, waitFor } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, sign, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { phoneIndex } from '../../src/compliance/index.js';

let db: TestDatabase;
let fake: FakeGraph;
let nlu: Nlu;
let app: Running & { base: string };
const CLINIC = 'PatientLine Demo Clinic';
/** One key across restarts (each start has a DATA_DIR of its own). */
const KEY = crypto.randomBytes(32).toString('base64');

async function start(): Promise<Running & { base: string }> {
  const a = await startTestApp(db, fake.url, { SEED_DEMO: '1', ENCRYPTION_KEY: KEY }, { conversation: { nlu } });
  // The app closes its database when it stops: the helpers below read through the one it runs on.
  db = { ...a.services.database, url: null };
  fake.setWebhook(`${a.base}/webhooks/whatsapp`);
  return a;
}

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token' });
  nlu = await createNlu();
  app = await start();
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const phone = () => `336${crypto.randomInt(10_000_000, 99_999_999)}`;

/** Sends a text (or a tap on a reply button) as a signed webhook; returns its wamid. */
async function say(from: string, body: string, tap?: { id: string; context: string }): Promise<string> {
  const payload = inboundText(from, body, { name: 'Test Patient' });
  if (tap) {
    const m = ((payload['entry'] as { changes: { value: { messages: Record<string, unknown>[] } }[] }[])[0]!.changes[0]!.value.messages)[0]!;
    delete m['text'];
    Object.assign(m, { type: 'interactive', context: { from: '15550001111', id: tap.context }, interactive: { type: 'button_reply', button_reply: { id: tap.id, title: body } } });
  }
  const wamid = (((payload['entry'] as { changes: { value: { messages: { id: string }[] } }[] }[])[0]!.changes[0]!.value.messages)[0]!).id;
  const raw = JSON.stringify(payload);
  const r = await fetch(`${app.base}/webhooks/whatsapp`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) } });
  expect(r.status).toBe(200);
  return wamid;
}

/** The bodies the Graph API received for the replies to one inbound message (not its read receipt), in order. */
async function repliesTo(wamid: string): Promise<(Record<string, unknown> & { wamid?: string })[]> {
  const inbound = await waitFor(() => db.db.selectFrom('inbound_messages').select('id').where('wamid', '=', wamid).where('state', '=', 'done').executeTakeFirst(), 30_000);
  if (!inbound) throw new Error(`message ${wamid} was not processed`);
  const rows = await db.db.selectFrom('outbox').select(['id', 'callback_token', 'kind']).where('caused_by', '=', inbound.id).where('kind', '<>', 'read').orderBy('id').execute();
  const bodies = await waitFor(() => {
    const got = rows.map((r) => fake.received.find((x) => x.body['biz_opaque_callback_data'] === `pl:${r.id}:${r.callback_token}` && x.rejected === null));
    return got.every(Boolean) ? got.map((g) => ({ ...g!.body, wamid: g!.wamid ?? '' })) : null;
  }, 30_000);
  if (!bodies) throw new Error('the replies did not reach the Graph API');
  return bodies;
}

const bodyText = (m: Record<string, unknown> | undefined): string => {
  if (!m) return '';
  if (m['type'] === 'text') return (m['text'] as { body: string }).body;
  if (m['type'] === 'interactive') return (m['interactive'] as { body: { text: string } }).body.text;
  return '';
};
const ids = (m: Record<string, unknown> | undefined): string[] => {
  const i = m?.['interactive'] as { action: { buttons?: { reply: { id: string } }[]; sections?: { rows: { id: string }[] }[] } } | undefined;
  if (!i) return [];
  return i.action.buttons ? i.action.buttons.map((b) => b.reply.id) : (i.action.sections ?? []).flatMap((s) => s.rows.map((r) => r.id));
};

async function patientOf(p: string) {
  return db.db.selectFrom('patients').select(['id', 'language', 'opted_out_at']).where('wa_id_index', '=', phoneIndex(app.services.cipher, p)).executeTakeFirstOrThrow();
}

const SCRIPT: Record<Language, { greet: string; faq: string; book: string; stop: string; emergency: string }> = {
  en: { greet: 'Hi, good morning', faq: 'What are your opening hours?', book: 'I would like to book an appointment', stop: 'STOP', emergency: "I have severe chest pain and can't breathe" },
  fr: { greet: 'Bonjour', faq: "Quels sont vos horaires d'ouverture ?", book: 'Je voudrais prendre rendez-vous', stop: 'ARRÊT', emergency: "j'ai une douleur très forte dans la poitrine" },
  it: { greet: 'Ciao, buongiorno', faq: 'Quali sono gli orari di apertura?', book: 'Vorrei prenotare una visita', stop: 'BASTA', emergency: 'ho un forte dolore al petto' },
  es: { greet: 'Hola, buenos días', faq: '¿Cuál es el horario de apertura?', book: 'Quiero pedir una cita', stop: 'BAJA', emergency: 'tengo un dolor fuerte en el pecho' },
  pt: { greet: 'Olá, bom dia', faq: 'Qual é o horário de funcionamento?', book: 'Quero marcar uma consulta', stop: 'SAIR', emergency: 'estou com uma dor forte no peito' },
  de: { greet: 'Hallo, guten Morgen', faq: 'Wann haben Sie geöffnet?', book: 'Ich möchte einen Termin vereinbaren', stop: 'STOPP', emergency: 'ich habe starke Schmerzen in der Brust' },
};

describe.each(Object.keys(SCRIPT) as Language[])('a conversation in %s', (lang) => {
  const s = SCRIPT[lang];
  const t = translator(lang, 'Europe/Paris');

  it('a greeting from a new patient gets the welcome and the main menu in their language, kept as their preference', async () => {
    const p = phone();
    const [welcome, ...rest] = await repliesTo(await say(p, s.greet));
    expect(rest).toEqual([]);
    expect(bodyText(welcome)).toBe(t('common.welcomeBody', { clinic: CLINIC }));
    expect(ids(welcome)).toEqual(['menu:book', 'menu:faq', 'menu:symptoms', 'handoff:human', 'menu:language']);
    expect((await patientOf(p)).language).toBe(lang);
  });

  it('an FAQ question gets the clinic\'s answer in the language and "anything else?"', async () => {
    const p = phone();
    const replies = await repliesTo(await say(p, s.faq));
    const answer = DEMO_FAQ.find((f) => f.intent === 'opening_hours' && f.language === lang)!.answer;
    expect(bodyText(replies[0])).toBe(t('common.welcomeNew', { clinic: CLINIC }));
    expect(bodyText(replies[1])).toContain(answer);
    expect(bodyText(replies[2])).toBe(t('common.anythingElseBody'));
    expect(ids(replies[2])).toEqual(['menu:faq', 'menu:book', 'handoff:human']);
  });

  it('a booking intent starts booking: the services to choose from, in the language, no handoff', async () => {
    const p = phone();
    const replies = await repliesTo(await say(p, s.book));
    expect(bodyText(replies[1])).toBe(t('booking.serviceBody'));
    const rows = ids(replies[1]);
    expect(rows).toHaveLength(5);
    expect(rows.every((id) => id.startsWith('booking:svc:'))).toBe(true);
    const h = await db.db.selectFrom('handoffs').select('id').where('patient_id', '=', (await patientOf(p)).id).execute();
    expect(h).toEqual([]);
  });

  it('the opt-out keyword is recorded and confirmed with exactly one message in the language', async () => {
    const p = phone();
    await repliesTo(await say(p, s.greet));
    const replies = await repliesTo(await say(p, s.stop));
    expect(replies.map(bodyText)).toEqual([CONSENT_WORDS.get(lang)!.confirmOptOut]);
    expect((await patientOf(p)).opted_out_at).toBeInstanceOf(Date);
  });

  it('an emergency from a first-time patient: the FIRST reply carries 112, staff are alerted', async () => {
    const p = phone();
    const replies = await repliesTo(await say(p, s.emergency));
    expect(bodyText(replies[0])).toContain('112');
    const id = (await patientOf(p)).id;
    const h = await db.db.selectFrom('handoffs').select(['reason', 'priority']).where('patient_id', '=', id).execute();
    expect(h).toEqual([{ reason: 'emergency', priority: 'emergency' }]);
    const alerts = await db.db.selectFrom('staff_alerts').select(['kind', 'codes']).where('patient_id', '=', id).execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'emergency' });
    expect(alerts[0]!.codes).toContain('chest_pain');
  });
});

describe('red flags with negations, and the language menu', () => {
  it.each([
    ['en', 'no chest pain, just a cough since yesterday'],
    ['fr', 'pas de fièvre, juste un peu mal à la gorge'],
    ['es', 'no tengo dolor en el pecho, solo tos'],
  ])('%s "%s" is not an emergency: no emergency number, no emergency handoff or alert', async (_lang, body) => {
    const p = phone();
    const replies = await repliesTo(await say(p, body));
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.map(bodyText).join('\n')).not.toContain('112');
    const id = (await patientOf(p)).id;
    expect(await db.db.selectFrom('staff_alerts').select('kind').where('patient_id', '=', id).execute()).toEqual([]);
    const h = await db.db.selectFrom('handoffs').select('priority').where('patient_id', '=', id).execute();
    expect(h.every((x) => x.priority !== 'emergency')).toBe(true);
  });

  it('"Sprache" lists the languages; the one picked is stored and used from then on', async () => {
    const p = phone();
    await repliesTo(await say(p, 'Hi, good morning'));
    const [menu] = await repliesTo(await say(p, 'Sprache'));
    expect(ids(menu)).toEqual(['lang:en', 'lang:fr', 'lang:it', 'lang:es', 'lang:pt', 'lang:de']);
    const [done] = await repliesTo(await say(p, 'Italiano', { id: 'lang:it', context: menu!.wamid ?? '' }));
    expect(bodyText(done)).toBe(translator('it')('language.changed'));
    expect((await patientOf(p)).language).toBe('it');
    const [thanks] = await repliesTo(await say(p, 'ok'));
    expect(bodyText(thanks)).not.toBe('');
    expect((await patientOf(p)).language).toBe('it');
  });
});

describe('a handoff round trip', () => {
  it('the bot is silent during it, still answers a red flag, and answers again once staff hand back', async () => {
    const p = phone();
    const t = translator('en', 'Europe/Paris');
    const asked = await repliesTo(await say(p, 'I want to talk to a person'));
    expect(bodyText(asked[1])).toContain(t('handoff.requested'));
    const id = (await patientOf(p)).id;
    const open = await db.db.selectFrom('handoffs').select(['id', 'reason', 'priority']).where('patient_id', '=', id).where('state', '<>', 'closed').executeTakeFirstOrThrow();
    expect(open).toMatchObject({ reason: 'requested', priority: 'normal' });

    // Silent: at most the closed-clinic notice, once; never the bot's menu or answers.
    const during = await repliesTo(await say(p, 'What are your opening hours?'));
    expect(during.every((m) => m['type'] === 'text' && /closed/.test(bodyText(m)))).toBe(true);
    expect(await repliesTo(await say(p, 'hello? anyone there?'))).toEqual([]);
    const touched = await db.db.selectFrom('handoffs').select('last_patient_message_at').where('id', '=', open.id).executeTakeFirstOrThrow();
    expect(touched.last_patient_message_at).toBeInstanceOf(Date);

    // A red flag is still answered, and raises the handoff to the top of the inbox.
    const emergency = await repliesTo(await say(p, "I have severe chest pain and can't breathe"));
    expect(bodyText(emergency[0])).toContain('112');
    const raised = await db.db.selectFrom('handoffs').select('priority').where('id', '=', open.id).executeTakeFirstOrThrow();
    expect(raised.priority).toBe('emergency');

    // Staff hand the conversation back: the bot answers the next message.
    await db.db.transaction().execute((tx) => closeHandoff(tx, { handoffId: open.id, by: null, now: new Date() }));
    const after = await repliesTo(await say(p, 'What are your opening hours?'));
    expect(bodyText(after[0])).toContain(DEMO_FAQ.find((f) => f.intent === 'opening_hours' && f.language === 'en')!.answer);
  });
});

describe('a restart of the app in the middle of a conversation', () => {
  const current = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-conv-restart-'));
  it('keeps the conversation state: the miss before the restart and the one after it hand over to staff', { timeout: 120_000 }, async () => {
    // On disk, so that the database outlives the process's app (stopping the app closes it).
    const dataDir = current;
    await app.stop();
    db = { ...(await openDatabase({ dataDir })), url: null };
    app = await start();
    const p = phone();
    const t = translator('en', 'Europe/Paris');
    const first = await repliesTo(await say(p, 'blah blah foo'));
    expect(bodyText(first[1])).toBe(t('common.clarifyBody'));
    expect(ids(first[1])).toContain('handoff:human');

    await app.stop();
    db = { ...(await openDatabase({ dataDir })), url: null };
    app = await start();

    const second = await repliesTo(await say(p, 'blah blah foo bar'));
    expect(bodyText(second[0])).toContain(t('handoff.misunderstood'));
    const h = await db.db.selectFrom('handoffs').select('reason').where('patient_id', '=', (await patientOf(p)).id).execute();
    expect(h).toEqual([{ reason: 'misunderstood' }]);
  });

  it('keeps a flow half-way: the triage question asked before the restart is answered after it', { timeout: 120_000 }, async () => {
    const p = phone();
    const first = await repliesTo(await say(p, 'I have had a sore throat since yesterday'));
    const question = first[first.length - 1]!;
    const choices = ids(question);
    expect(choices.length).toBeGreaterThan(0);
    expect(choices.every((c) => c.startsWith('triage:'))).toBe(true);
    const patientId = (await patientOf(p)).id;
    expect((await loadSession(db.db, app.services.keys, patientId)).flow).toBe('triage');

    await app.stop();
    db = { ...(await openDatabase({ dataDir: current })), url: null };
    app = await start();

    const title = ((question['interactive'] as { action: { buttons: { reply: { title: string } }[] } }).action.buttons[0]!.reply.title);
    const next = await repliesTo(await say(p, title, { id: choices[0]!, context: question.wamid ?? '' }));
    // The flow went on from its stored state: not the same question again.
    expect(next.length).toBeGreaterThan(0);
    expect(bodyText(next[0])).not.toBe(bodyText(question));
    expect(next.map(bodyText).join(' ')).not.toBe(translator('en')('common.clarifyBody'));
  });
});

// Issue 15's measure: 100,000 reminders due in the same minute (BENCH_REMINDERS; all at one instant, the
// worst case of that minute), WHATSAPP_MPS=1000, the fake Graph API (test/support/fake-graph.ts, in this
// process: it records when each /messages POST arrives; no status webhooks back, the load is the send path's),
// PostgreSQL, the server under test in a child process with its workers on.
//
// The scratch database is seeded here with what the app would have written: the demo clinic, a practitioner
// per 100 appointments (the no-overlap constraint holds), patients with their data keys, phone numbers sealed
// with them and blind-indexed, WhatsApp consent for care messages as the desk records it, no 24 h window (so
// the template goes), appointments booked for the next day with their reminder rows and history, and the
// reminder template approved on the WABA and in message_templates. The app's own reading code then opens a
// sample (getAppointment, patientIdentifiers) before the run. Once the server is up, one UPDATE makes every
// reminder due a few seconds later.
//
// Measured: from the due instant to the last acceptance at the fake Graph API; the sustained rate (arrivals
// over the busy period less its first and last second, as bench/sender.ts); none twice (distinct outbox ids in
// biz_opaque_callback_data = arrivals, distinct recipients = reminders); none missed (every reminder `sent`,
// its outbox row accepted); the server's peak RSS (/proc/<pid>/status VmRSS, every 100 ms). The baseline, in
// the same run on a second database seeded alike: the reminder worker alone (in this process) queues every
// reminder, then the server's sender alone drains the 100,000 queued rows: its rate is the ceiling of the whole.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { loadEncryptionKey } from '../src/compliance/crypto.js';
import { openCrypt } from '../src/compliance/open-crypt.js';
import { recordAudit, SYSTEM } from '../src/compliance/index.js';
import type { Crypt } from '../src/compliance/identifiers.js';
import { phoneIndex } from '../src/compliance/identifiers.js';
import { migrate, openDatabase, type Database } from '../src/db/database.js';
import { LANGUAGES } from '../src/nlu/types.js';
import { patientIdentifiers } from '../src/patients/index.js';
import { ReminderWorker } from '../src/reminders/worker.js';
import { getAppointment } from '../src/scheduling/appointments.js';
import { seedDemoClinic } from '../src/scheduling/index.js';
import { definitionHash } from '../src/whatsapp/template-sync.js';
import { META_LANGUAGE, TEMPLATES } from '../src/whatsapp/templates.js';
import { startFakeGraph, type FakeGraph } from '../test/support/fake-graph.js';
import { machineCpu, otherLoadCores } from './machine.js';
import { backendCpu, cpuDelta } from './pg-cpu.js';
import { fmt, type Check } from './report.js';
import type { TargetProcess } from './target-process.js';

export const REMINDERS_PHONE_NUMBER_ID = 'PN1'; // the id fake-graph answers for
export const REMINDERS_WABA_ID = '102290129340398'; // bench/target.ts's WHATSAPP_BUSINESS_ACCOUNT_ID

const PER_PRACTITIONER = 100;
const CHUNK = 1000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export interface RemindersOptions {
  count: number;
  mps: number;
  appSecret: string;
  token: string;
  /** ENCRYPTION_KEY of the server under test (base64). */
  encryptionKey: string;
  /** Scratch databases: the run, and the baseline's. */
  database(): Promise<{ url: string }>;
  startApp(databaseUrl: string, graphUrl: string, label: string): Promise<TargetProcess>;
  log(line: string): void;
  /** Only the sender-alone baseline (BENCH_REMINDERS_PARTS=baseline, to iterate on the sender). */
  baselineOnly?: boolean;
}

export interface DrainMeasure {
  /** From the due instant (run) or the server's start (baseline) to the last acceptance, s. */
  totalS: number;
  /** First to last arrival, s. */
  busyS: number;
  sustainedPerS: number;
  arrivals: number;
  /** Distinct outbox ids in the callback data / distinct recipients. */
  distinctOutbox: number;
  distinctRecipients: number;
  /** Arrivals per calendar second (for the log). */
  perSecond: number[];
  rssMaxMb: number;
  /** RSS when the drain began (the server idle, warmed up), MB. */
  rssStartMb: number;
  /** CPU of the database's backends over the drain, % of a core. */
  dbCpuPct: number;
  /** Claimed sends the server gave back unsent, by reason (patientline_outbound_requeued_total). */
  requeued: Record<string, number>;
  /** Other processes' CPU over the drain, cores. */
  otherLoad: number;
  serverCpuPct: number;
}

export interface RemindersResult {
  count: number;
  mps: number;
  seedS: number;
  run: DrainMeasure & {
    /** Due instant to the first arrival, s (the worker's poll and first batch). */
    firstS: number;
    /** Reminders by state at the end, and those `sent` whose outbox row was accepted. */
    states: Record<string, number>;
    sentAccepted: number;
    /** Arrivals whose outbox id is no reminder's (never expected). */
    strangers: number;
    /** When the worker had decided every reminder (last decided_at), s after the due instant. */
    decidedS: number;
  };
  baseline: DrainMeasure & { workerS: number; workerPerS: number };
}

interface Seeded {
  database: Database;
  crypt: Crypt;
  /** Approved on the WABA: added to the fake Graph API so that the app's template sync agrees. */
  templates: { language: string; metaLanguage: string; metaId: string }[];
}

/** Seeds a scratch database as the app would have written it (see the header). */
export async function seed(url: string, o: Pick<RemindersOptions, "count" | "encryptionKey" | "log">): Promise<Seeded> {
  const database = await openDatabase({ databaseUrl: url, poolSize: 10 });
  await migrate(database.db);
  const db = database.db;
  const demo = await seedDemoClinic(db, { reset: false });
  if (!demo.seeded) throw new Error('the demo clinic was not seeded');
  const crypt = await openCrypt(db, loadEncryptionKey(o.encryptionKey, '.').key, []);
  const clinicId = demo.clinicId;
  const service = await db.selectFrom('services').select(['id', 'duration_minutes', 'buffer_minutes']).where('clinic_id', '=', clinicId).where('code', '=', 'general-consultation').executeTakeFirstOrThrow();
  const location = await db.selectFrom('locations').select('id').where('clinic_id', '=', clinicId).orderBy('code').executeTakeFirstOrThrow();
  const model = await db.selectFrom('practitioners').select(['title', 'specialties', 'languages']).where('clinic_id', '=', clinicId).where('code', '=', 'camille-laurent').executeTakeFirstOrThrow();

  // The reminder template, approved (Meta's review done), in every language of the clinic.
  const templates = LANGUAGES.map((l, i) => ({ language: l, metaLanguage: META_LANGUAGE[l], metaId: String(2_000_000_000_000 + i) }));
  const def = TEMPLATES.appointmentReminder;
  for (const t of templates) {
    await db.insertInto('message_templates')
      .values({ name: def.name, language: t.language, meta_language: t.metaLanguage, category: def.category, status: 'APPROVED', meta_id: t.metaId, definition_hash: definitionHash(def, t.language as (typeof LANGUAGES)[number]), synced_at: new Date() })
      .onConflict((oc) => oc.columns(['name', 'language']).doUpdateSet({ status: 'APPROVED', meta_id: t.metaId }))
      .execute();
  }

  const practitioners = Math.ceil(o.count / PER_PRACTITIONER);
  const pids: string[] = [];
  for (let i = 0; i < practitioners; i += CHUNK) {
    const rows = Array.from({ length: Math.min(CHUNK, practitioners - i) }, (_, k) => ({
      clinic_id: clinicId, code: `bench-${i + k}`, display_name: `Dr Bench ${i + k}`, title: model.title, specialties: model.specialties, languages: model.languages,
    }));
    pids.push(...(await db.insertInto('practitioners').values(rows).returning('id').execute()).map((r) => r.id));
  }

  // The next day from a quarter past the hour, 100 appointments per practitioner, back to back.
  const slotMs = (service.duration_minutes + service.buffer_minutes) * 60_000;
  const base = Math.ceil((Date.now() + 25 * 3_600_000) / (15 * 60_000)) * 15 * 60_000;
  const now = new Date();
  let done = 0;
  for (let i = 0; i < o.count; i += CHUNK) {
    const n = Math.min(CHUNK, o.count - i);
    const ids = Array.from({ length: n }, () => crypto.randomUUID());
    const phones = Array.from({ length: n }, (_, k) => `4917${String(i + k).padStart(8, '0')}`);
    await db.insertInto('patients').values(ids.map((id, k) => ({
      id, wa_id_index: phoneIndex(crypt.cipher, phones[k]!), language: LANGUAGES[(i + k) % LANGUAGES.length]!, created_at: now, updated_at: now,
    }))).execute();
    // Each patient's data key as the app creates it (one statement each, as at a first booking), ten at a time.
    const sealed: Buffer[] = new Array<Buffer>(n);
    for (let k = 0; k < n; k += 10) {
      await Promise.all(ids.slice(k, k + 10).map(async (id, j) => {
        sealed[k + j] = (await crypt.keys.forPatient(db, id)).encrypt(phones[k + j]!);
      }));
    }
    await db.transaction().execute(async (tx) => {
      await sql`update patients p set wa_id_sealed = v.s from (select unnest(${ids}::uuid[]) as id, unnest(${sealed}::bytea[]) as s) v where p.id = v.id`.execute(tx);
      // WhatsApp consent for care messages, as the desk records it at booking (consent.ts recordConsent).
      const events = await tx.insertInto('consent_events')
        .values(ids.map((id) => ({ patient_id: id, purpose: 'care' as const, granted: true, text_version: 'desk-1', language: null, channel: 'desk' as const, recorded_by: null, source: 'desk', at: now })))
        .returning(['id', 'patient_id']).execute();
      await tx.insertInto('patient_consents').values(events.map((e) => ({ patient_id: e.patient_id, purpose: 'care' as const, granted: true, channel: 'desk' as const, at: now, event_id: e.id }))).execute();
      await recordAudit(tx, events.map((e) => ({ actor: SYSTEM('bench'), action: 'consent.grant', patientId: e.patient_id, target: `consent:${e.id}`, details: { purpose: 'care', channel: 'desk' }, at: now })));
      const appointments = ids.map((patient, k) => {
        const j = i + k;
        const start = base + (j % PER_PRACTITIONER) * slotMs;
        return {
          clinic_id: clinicId, location_id: location.id, practitioner_id: pids[Math.floor(j / PER_PRACTITIONER)]!, service_id: service.id, patient_id: patient,
          starts_at: new Date(start), ends_at: new Date(start + service.duration_minutes * 60_000), blocks_until: new Date(start + slotMs),
          booked_by_type: 'staff' as const, booked_by_id: null, created_at: now, updated_at: now,
        };
      });
      const booked = await tx.insertInto('appointments').values(appointments).returning(['id', 'patient_id', 'starts_at']).execute();
      await tx.insertInto('appointment_history').values(booked.map((a) => ({ appointment_id: a.id, patient_id: a.patient_id, state: 'booked' as const, actor_type: 'staff' as const, actor_id: null, at: now }))).execute();
      // Due a day before (placeholder: the run makes them all due at one instant, and sets the offsets to match).
      await tx.insertInto('reminders').values(booked.map((a) => ({ appointment_id: a.id, patient_id: a.patient_id, offset_minutes: 1440, due_at: new Date(a.starts_at.getTime() - 86_400_000), state: 'scheduled' as const, created_at: now }))).execute();
    });
    done += n;
    if (done % 20_000 === 0 || done === o.count) o.log(`reminders: seeded ${done} / ${o.count}`);
  }
  await sql`analyze`.execute(db);

  // The app's own reading code opens what was seeded: the appointment, the patient's phone.
  const sample = await db.selectFrom('reminders').select(['appointment_id', 'patient_id']).orderBy('created_at').limit(1).executeTakeFirstOrThrow();
  const a = await getAppointment(db, { keys: crypt.keys }, sample.appointment_id);
  const to = await patientIdentifiers(db, crypt, sample.patient_id);
  if (!a || a.state !== 'booked' || !to?.phone?.startsWith('4917')) throw new Error('the seeded rows do not read back as the app wrote them');
  return { database, crypt, templates };
}

/** VmRSS of a process, MB, or NaN. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function fakeGraph(o: RemindersOptions, s: Seeded): Promise<FakeGraph> {
  const fake = await startFakeGraph({ appSecret: o.appSecret, token: o.token, statuses: false, phoneNumberId: REMINDERS_PHONE_NUMBER_ID, businessAccountId: REMINDERS_WABA_ID });
  for (const t of s.templates) fake.addTemplate({ id: t.metaId, name: TEMPLATES.appointmentReminder.name, language: t.metaLanguage, category: 'UTILITY', status: 'APPROVED' });
  return fake;
}

/**
 * Waits until `count` messages arrived (or the timeout), sampling the server's RSS; measures the drain from
 * `from` (epoch ms).
 */
async function drain(fake: FakeGraph, target: TargetProcess, databaseUrl: string, count: number, from: number, timeoutMs: number): Promise<DrainMeasure> {
  const messages = () => fake.received.filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && r.rejected === null);
  const admin = new URL(databaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const db0 = await backendCpu(admin.toString(), name);
  const rssStart = rssMb(target.pid);
  let rssMax = rssStart;
  const cpu0 = machineCpu();
  const server0 = await target.cpuMs();
  const t0 = performance.now();
  let seen = 0;
  let stillSince = Date.now();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    rssMax = Math.max(rssMax, rssMb(target.pid));
    const n = fake.received.length;
    if (n !== seen) {
      seen = n;
      stillSince = Date.now();
    }
    if (messages().length >= count) break;
    // Nothing new for 30 s: whatever is missing is not coming.
    if (Date.now() - stillSince > 30_000) break;
    await sleep(100);
  }
  await sleep(2000); // anything late (a second copy) still counts
  rssMax = Math.max(rssMax, rssMb(target.pid));
  const serverMs = (await target.cpuMs()) - server0;
  const dbMs = cpuDelta(db0, await backendCpu(admin.toString(), name));
  const requeued: Record<string, number> = {};
  const text = await (await fetch(`${target.url}/metrics`)).text();
  for (const m of text.matchAll(/^patientline_outbound_requeued_total\{reason="(\w+)"\} (\d+)/gm)) requeued[m[1]!] = (requeued[m[1]!] ?? 0) + Number(m[2]);
  const elapsed = performance.now() - t0;
  const all = messages();
  const arrivals = all.map((r) => r.at).sort((a, b) => a - b);
  const first = arrivals[0] ?? 0;
  const last = arrivals[arrivals.length - 1] ?? 0;
  const inner = arrivals.filter((t) => t >= first + 1000 && t <= last - 1000).length;
  const outboxIds = new Set(all.map((r) => String(r.body['biz_opaque_callback_data'] ?? '').split(':')[1]));
  return {
    totalS: (last - from) / 1000,
    busyS: (last - first) / 1000,
    sustainedPerS: inner / Math.max(0.001, (last - first - 2000) / 1000),
    arrivals: arrivals.length,
    distinctOutbox: outboxIds.size,
    distinctRecipients: new Set(all.map((r) => String(r.body['to'] ?? ''))).size,
    perSecond: Array.from({ length: Math.ceil((last - first + 1) / 1000) }, (_, k) => arrivals.filter((t) => t >= first + k * 1000 && t < first + (k + 1) * 1000).length),
    rssMaxMb: rssMax,
    rssStartMb: rssStart,
    dbCpuPct: (100 * dbMs) / elapsed,
    requeued,
    otherLoad: otherLoadCores(cpu0, machineCpu(), serverMs + dbMs, elapsed),
    serverCpuPct: (100 * serverMs) / elapsed,
  };
}

export async function runReminders(o: RemindersOptions): Promise<RemindersResult> {
  // Generous (a tenth of the cap): on a shared, overloaded machine a drain at half the cap must still be seen to
  // its end; a drain that stalls for 30 s ends the wait anyway (drain()).
  const timeoutMs = 120_000 + (o.count / (0.1 * o.mps)) * 1000;

  // The baseline: the reminder worker alone queues everything (in this process), then the sender alone drains it.
  const { url: baseUrl } = await o.database();
  o.log(`reminders-baseline: seeding ${o.count} appointments with their reminders…`);
  const b = await seed(baseUrl, o);
  await b.database.db.updateTable('reminders').set({ due_at: new Date(Date.now() - 1000) }).where('state', '=', 'scheduled').execute();
  const worker = new ReminderWorker({ db: b.database.db, cipher: b.crypt.cipher, keys: b.crypt.keys, clock: { now: () => new Date() }, log: pino({ level: 'silent' }), videoUrlTemplate: 'https://meet.example.org/{room}', onQueued: () => {} });
  const w0 = performance.now();
  while ((await worker.tick()) > 0) { /* until nothing is due */ }
  const workerS = (performance.now() - w0) / 1000;
  o.log(`reminders-baseline: the worker alone queued ${o.count} in ${workerS.toFixed(1)} s (${(o.count / workerS).toFixed(0)}/s)`);
  await b.database.close();
  let baseline: RemindersResult['baseline'];
  {
    const fake = await fakeGraph(o, b);
    const started = Date.now();
    const target = await o.startApp(baseUrl, fake.url, 'reminders-baseline-sender');
    try {
      const m = await drain(fake, target, baseUrl, o.count, started, timeoutMs);
      baseline = { ...m, workerS, workerPerS: o.count / workerS };
      o.log(`reminders-baseline: the sender alone: ${m.arrivals} in ${m.busyS.toFixed(1)} s, sustained ${m.sustainedPerS.toFixed(0)}/s, RSS ${m.rssStartMb.toFixed(0)} → max ${m.rssMaxMb.toFixed(0)} MB, CPU % of a core: server ${m.serverCpuPct.toFixed(0)}, database ${m.dbCpuPct.toFixed(0)}; other load ${m.otherLoad.toFixed(2)} cores; given back unsent ${JSON.stringify(m.requeued)}; per second: ${m.perSecond.join(' ')}`);
    } finally {
      await target.stop();
      fake.expectNoInvalidRequests();
      await fake.close();
    }
  }

  if (o.baselineOnly) {
    const none: DrainMeasure = { ...baseline, arrivals: 0, distinctOutbox: 0, distinctRecipients: 0, sustainedPerS: Number.NaN, perSecond: [] };
    return { count: o.count, mps: o.mps, seedS: Number.NaN, baseline, run: { ...none, firstS: Number.NaN, states: {}, sentAccepted: 0, strangers: 0, decidedS: Number.NaN } };
  }
  // The run: the server is up, then everything comes due at once.
  const { url } = await o.database();
  o.log(`reminders: seeding ${o.count} appointments with their reminders…`);
  const s0 = performance.now();
  const s = await seed(url, o);
  const seedS = (performance.now() - s0) / 1000;
  o.log(`reminders: seeded in ${seedS.toFixed(1)} s`);
  const fake = await fakeGraph(o, s);
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  const target = await o.startApp(url, fake.url, 'reminders');
  try {
    await sleep(2000); // start-up work (template sync, listeners) out of the way
    const due = Math.ceil(Date.now() / 1000) * 1000 + 3000;
    await probe.query(`update reminders r set due_at = $1, offset_minutes = round(extract(epoch from a.starts_at - $1::timestamptz) / 60)::int
      from appointments a where a.id = r.appointment_id and r.state = 'scheduled'`, [new Date(due)]);
    o.log(`reminders: ${o.count} due at ${new Date(due).toISOString()}`);
    await sleep(due - Date.now());
    const m = await drain(fake, target, url, o.count, due, timeoutMs);
    const states: Record<string, number> = {};
    for (const r of (await probe.query<{ state: string; n: number }>(`select state, count(*)::int as n from reminders group by state`)).rows) states[r.state] = r.n;
    const sentAccepted = (await probe.query<{ n: number }>(`select count(*)::int as n from reminders r join outbox o on o.id = r.outbox_id where r.state = 'sent' and o.state = 'sent' and o.accepted_at is not null`)).rows[0]?.n ?? 0;
    const decided = (await probe.query<{ ms: number | null }>(`select (extract(epoch from max(decided_at)) * 1000)::float8 as ms from reminders`)).rows[0]?.ms ?? due;
    const ours = new Set((await probe.query<{ id: string }>(`select outbox_id::text as id from reminders where outbox_id is not null`)).rows.map((r) => r.id));
    const arrived = fake.received.filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && r.rejected === null);
    const strangers = arrived.filter((r) => !ours.has(String(r.body['biz_opaque_callback_data'] ?? '').split(':')[1] ?? '')).length;
    const first = Math.min(...arrived.map((r) => r.at));
    return { count: o.count, mps: o.mps, seedS, baseline, run: { ...m, firstS: (first - due) / 1000, states, sentAccepted, strangers, decidedS: (decided - due) / 1000 } };
  } finally {
    await target.stop();
    await probe.end();
    await s.database.close();
    fake.expectNoInvalidRequests();
    await fake.close();
  }
}

export function remindersTable(r: RemindersResult): string {
  const b = r.baseline;
  const x = r.run;
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = [
    '### Reminders at 1,000/s (issue 15)',
    '',
    `${n(r.count)} reminders due at one instant (patients outside their 24 h window: the approved template), WHATSAPP_MPS=${r.mps}`,
    '(the schedule hands out 96 %: at most 960/s), PostgreSQL, one instance, the fake Graph API answering at once (no status',
    'webhooks). Arrival times at the fake Graph API. Sustained = arrivals over the busy period less its first and last second.',
    'Baseline, same run, a second database seeded alike: the reminder worker alone queues every reminder (in the bench',
    'process), then the sender alone drains the queued rows. RSS idle = when the drain began (server up, nothing sent yet);',
    'other load = the machine\'s CPU not used by the server or its database backends (the bench process and fake Graph API',
    'included), in cores.',
    '',
    '| run | due → all accepted s | due → first s | busy s | sustained /s (% of cap) | vs the sender alone | accepted | distinct outbox ids / recipients | reminders sent & accepted | server RSS idle → max MB | CPU % of a core: server / database | other load (cores) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| worker + sender (the measure) | ${fmt(x.totalS, 1)} | ${fmt(x.firstS, 1)} | ${fmt(x.busyS, 1)} | ${fmt(x.sustainedPerS, 0)} (${fmt((100 * x.sustainedPerS) / r.mps, 1)} %) | ${fmt(x.sustainedPerS / b.sustainedPerS, 2)}× | ${n(x.arrivals)} | ${n(x.distinctOutbox)} / ${n(x.distinctRecipients)} | ${n(x.sentAccepted)} / ${n(r.count)} | ${fmt(x.rssStartMb, 0)} → ${fmt(x.rssMaxMb, 0)} | ${fmt(x.serverCpuPct, 0)} / ${fmt(x.dbCpuPct, 0)} | ${fmt(x.otherLoad, 2)} |`,
    `| baseline: the sender alone, ${n(r.count)} queued | — | — | ${fmt(b.busyS, 1)} | ${fmt(b.sustainedPerS, 0)} (${fmt((100 * b.sustainedPerS) / r.mps, 1)} %) | 1.00× | ${n(b.arrivals)} | ${n(b.distinctOutbox)} / ${n(b.distinctRecipients)} | — | ${fmt(b.rssStartMb, 0)} → ${fmt(b.rssMaxMb, 0)} | ${fmt(b.serverCpuPct, 0)} / ${fmt(b.dbCpuPct, 0)} | ${fmt(b.otherLoad, 2)} |`,
    `| baseline: the reminder worker alone (in the bench process) | ${fmt(b.workerS, 1)} | — | — | ${fmt(b.workerPerS, 0)} queued /s | — | — | — | — | — | — | — |`,
    '',
    `Reminder states at the end: ${Object.entries(x.states).map(([k, v]) => `${k} ${n(v)}`).join(', ')}; the worker had decided all ${fmt(x.decidedS, 1)} s after the due instant; seeding took ${fmt(r.seedS, 0)} s.`,
  ];
  return `${lines.join('\n')}\n`;
}

export function remindersChecks(r: RemindersResult): Check[] {
  const x = r.run;
  const at = `Reminders, ${r.count.toLocaleString('en-US')} due at once, MPS ${r.mps}`;
  return [
    { what: `${at}: time until all accepted`, target: `(reported; ${fmt(r.count / (0.9 * r.mps), 0)} s at 900/s)`, measured: `${fmt(x.totalS, 1)} s`, pass: x.arrivals >= r.count },
    { what: `${at}: sustained rate`, target: '≥ 900/s', measured: `${fmt(x.sustainedPerS, 0)}/s`, pass: x.sustainedPerS >= 900 },
    { what: `${at}: none sent twice`, target: `${r.count.toLocaleString('en-US')} arrivals, as many outbox ids and recipients`, measured: `${x.arrivals.toLocaleString('en-US')} / ${x.distinctOutbox.toLocaleString('en-US')} / ${x.distinctRecipients.toLocaleString('en-US')}`, pass: x.arrivals === x.distinctOutbox && x.distinctOutbox === x.distinctRecipients && x.strangers === 0 },
    { what: `${at}: none missed`, target: `${r.count.toLocaleString('en-US')} sent and accepted`, measured: x.sentAccepted.toLocaleString('en-US'), pass: x.sentAccepted === r.count && x.arrivals === r.count },
    { what: `${at}: server RSS`, target: '≤ 300 MB', measured: `${fmt(x.rssMaxMb, 0)} MB`, pass: x.rssMaxMb <= 300 },
  ];
}

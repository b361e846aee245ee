// PHI at rest and in logs, end to end: a real server process (LOG_LEVEL=debug) gets a patient's text, a
// document and a status webhook, answers, and applies the statuses of its replies. Then every table of every
// schema is scanned (each row as text, and each bytea value as UTF-8 and latin1 bytes) for the patient's name,
// phone number (as given, and without '+'), BSUID, message text and document bytes: nothing. On the embedded
// database the DATA_DIR files are scanned too (as shared/acceptance/compliance.mjs does), and the process's
// whole log output is checked for the same values.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dataDirFor, serverUrl, type TestDatabase } from '../support/db.js';
import { postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, cloudApiEnv, waitFor } from '../support/app.js';
import { spawnServer, type ServerProcess } from '../support/process.js';

const NAME = 'Zoltán Quixbyvarga';
const PHONE = '+33749812653';
const WA_ID = PHONE.slice(1);
const BSUID = 'FR.7498126530QXZPLUGH';
const TEXT = 'my rash xyzzy-plugh-symptom-42 is back';
const DOCUMENT = Buffer.from('%PDF-1.4 lab report frobnitz-hemoglobin-77 of a patient');
const NEEDLES: Record<string, string> = {
  name: NAME,
  'family name': 'Quixbyvarga',
  'phone as given': PHONE,
  'phone without +': WA_ID,
  bsuid: BSUID,
  'message text': 'xyzzy-plugh-symptom-42',
  'document content': 'frobnitz-hemoglobin-77',
};

/** Which needles occur in `bytes`, as UTF-8 or latin1. */
function found(bytes: Buffer): string[] {
  return Object.entries(NEEDLES)
    .filter(([, v]) => bytes.includes(Buffer.from(v, 'utf8')) || bytes.includes(Buffer.from(v, 'latin1')))
    .map(([k]) => k);
}

type Query = (text: string) => Promise<Record<string, unknown>[]>;

/** Every table of every user schema: rows as text, bytea columns as bytes. Returns "table: what" for each hit. */
async function scanTables(query: Query): Promise<{ hits: string[]; tables: number; rows: number }> {
  const tables = await query(`select table_schema as s, table_name as t from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`);
  const hits: string[] = [];
  let rows = 0;
  for (const { s, t } of tables) {
    const name = `"${String(s)}"."${String(t)}"`;
    const asText = await query(`select x::text as row from ${name} x`);
    rows += asText.length;
    for (const r of asText) for (const what of found(Buffer.from(String(r['row'])))) hits.push(`${name} row text: ${what}`);
    const bytea = await query(`select column_name as c from information_schema.columns where table_schema = '${String(s)}' and table_name = '${String(t)}' and data_type = 'bytea'`);
    for (const { c } of bytea) {
      for (const r of await query(`select "${String(c)}" as v from ${name} where "${String(c)}" is not null`)) {
        const v = r['v'];
        if (v instanceof Uint8Array) for (const what of found(Buffer.from(v))) hits.push(`${name}.${String(c)} bytes: ${what}`);
      }
    }
  }
  return { hits, tables: tables.length, rows };
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

let fake: FakeGraph;
let server: ServerProcess | null = null;
let database: TestDatabase | null = null;
let dataDir: string;
const onServer = serverUrl() !== null;

beforeAll(async () => {
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN });
  dataDir = await dataDirFor('pl-phi-');
  if (onServer) database = await createTestDatabase();
});

afterAll(async () => {
  await server?.kill('SIGKILL');
  await fake?.close();
  await database?.close();
});

const envelope = (value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: 'PN1' }, ...value } }] }],
});
const now = () => String(Math.floor(Date.now() / 1000));

describe('PHI at rest and in logs', () => {
  it(`a patient's name, phone number, BSUID, text and document are nowhere in the database${onServer ? '' : ', the DATA_DIR files'} or the logs`, async () => {
    server = await spawnServer({
      DATA_DIR: dataDir,
      ...(database?.url ? { DATABASE_URL: database.url, ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64') } : {}),
      ...cloudApiEnv(fake.url, { businessAccount: true }),
      SEED_DEMO: '0',
      LOG_LEVEL: 'debug',
    });
    fake.setWebhook(`${server.base}/webhooks/whatsapp`);
    const contact = { profile: { name: NAME, username: 'zq.patient' }, wa_id: WA_ID, user_id: BSUID };
    const from = { from: WA_ID, from_user_id: BSUID };
    expect(await postWebhook(server.base, envelope({ contacts: [contact], messages: [{ ...from, id: 'wamid.PHI1', timestamp: now(), type: 'text', text: { body: TEXT } }] }), APP_SECRET)).toBe(200);
    fake.addMedia('MEDIAPHI1', DOCUMENT, 'application/pdf');
    const document = { filename: 'report.pdf', mime_type: 'application/pdf', sha256: crypto.createHash('sha256').update(DOCUMENT).digest('base64'), id: 'MEDIAPHI1', caption: TEXT };
    expect(await postWebhook(server.base, envelope({ contacts: [contact], messages: [{ ...from, id: 'wamid.PHI2', timestamp: now(), type: 'document', document }] }), APP_SECRET)).toBe(200);
    // A status of a message this app never sent (held, then kept): its recipient is the patient's number.
    expect(await postWebhook(server.base, envelope({ statuses: [{ id: 'wamid.ELSEWHERE', status: 'delivered', timestamp: now(), recipient_id: WA_ID }] }), APP_SECRET)).toBe(200);

    // Both messages answered (and marked read), the document downloaded, the replies' statuses applied.
    const replies = () => fake.received.filter((r) => r.path.endsWith('/messages') && r.body['type'] !== undefined);
    expect(await waitFor(() => replies().length >= 2, 30_000)).toBe(true);
    expect(replies().every((r) => r.body['to'] === PHONE || r.body['recipient'] === BSUID)).toBe(true);
    expect(await waitFor(() => fake.received.some((r) => r.path === '/_media/MEDIAPHI1'), 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 2500));
    await server.kill('SIGTERM');

    let scan: { hits: string[]; tables: number; rows: number };
    if (database) {
      scan = await scanTables(async (text) => (await sql.raw<Record<string, unknown>>(text).execute(database!.db)).rows);
    } else {
      const files = filesUnder(dataDir);
      const inFiles = files.flatMap((f) => found(fs.readFileSync(f)).map((what) => `${path.relative(dataDir, f)}: ${what}`));
      expect(files.length).toBeGreaterThan(100); // the database really is in DATA_DIR
      expect(inFiles).toEqual([]);
      const pg = await PGlite.create(path.join(dataDir, 'pgdata'));
      try {
        scan = await scanTables(async (text) => (await pg.query<Record<string, unknown>>(text)).rows);
      } finally {
        await pg.close();
      }
    }
    expect(scan.hits).toEqual([]);
    // The scan saw the traffic: patients, messages, statuses, outbox rows, media chunks…
    expect(scan.tables).toBeGreaterThan(20);
    expect(scan.rows).toBeGreaterThan(10);

    const log = server.output();
    expect(log).toContain('"code":"workers_started"'); // the process's pino output was captured
    expect(found(Buffer.from(log))).toEqual([]);
  }, 120_000);
});

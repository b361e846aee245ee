// The sender against a real database and the fake Graph API, with injected clocks: one clock per "instance"
// lets a test stall one process while another reconciles, and a restart is a jump of the clock.
import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../analytics/metrics.js';
import type { Clock } from '../lib/clock.js';
import { createCipher } from '../compliance/crypto.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startFakeGraph, type FakeGraph } from '../../test/support/fake-graph.js';
import { GraphClient, type SendOutcome } from './graph-client.js';
import { beat, startListening } from './listeners.js';
import { enqueue } from './outbox.js';
import { Sender } from './sender.js';

const SEND_TIMEOUT_MS = 1000;
const RECONCILE_MS = 2000;
const EXTRA_MS = 60_000;

class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): Date {
    return new Date(this.t);
  }
}

let db: TestDatabase;
let fake: FakeGraph;
const cipher = createCipher(Buffer.alloc(32, 3));
let graph: GraphClient;
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: 'sender-test-secret', token: 'sender-test-token', statuses: false });
  graph = new GraphClient({ apiUrl: fake.url, apiVersion: 'v26.0', accessToken: 'sender-test-token', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 5000 });
});
afterAll(async () => {
  await fake?.close();
  await db?.close();
});
beforeEach(async () => {
  fake.setFaults(() => 'ok');
  await db.db.deleteFrom('webhook_listeners').execute();
  await db.db.updateTable('send_schedule').set({ next_slot: new Date(0) }).execute();
});
afterEach(async () => {
  await db.db.deleteFrom('outbox').execute();
});

/** A Graph client whose answers are held until the test lets them through (the request itself leaves at once). */
function heldGraph(): { graph: Pick<GraphClient, 'sendMessage'>; release(): void; sent: Promise<void> } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let sentNow!: () => void;
  const sent = new Promise<void>((r) => (sentNow = r));
  return {
    release,
    sent,
    graph: {
      async sendMessage(body: unknown): Promise<SendOutcome> {
        const outcome = await graph.sendMessage(body);
        sentNow();
        await gate;
        return outcome;
      },
    },
  };
}

/**
 * A Graph client whose connections are ready only once the test calls connect(); `isOpen` resolves when a send
 * asks for one. onSend runs as a request is written, onAbandon as one is given up.
 */
function gatedConnection(o: { onSend?: () => void; onAbandon?: () => void }): { graph: Pick<GraphClient, 'sendMessage' | 'openMessage'>; connect(): void; isOpen: Promise<void> } {
  let connect!: () => void;
  const connected = new Promise<void>((r) => (connect = r));
  let opened!: () => void;
  const isOpen = new Promise<void>((r) => (opened = r));
  return {
    connect,
    isOpen,
    graph: {
      sendMessage: (b) => graph.sendMessage(b),
      openMessage(body) {
        const open = graph.openMessage(body);
        opened();
        return {
          ready: connected.then(() => open.ready),
          send: () => {
            o.onSend?.();
            return open.send();
          },
          abandon: () => {
            o.onAbandon?.();
            open.abandon();
          },
        };
      },
    },
  };
}

function sender(clock: Clock, g: Pick<GraphClient, 'sendMessage'> = graph): Sender {
  return new Sender({ db: db.db, cipher, graph: g, metrics: createMetrics(db.db), log: pino({ level: 'silent' }), clock, mps: 80, sendTimeoutMs: SEND_TIMEOUT_MS, reconcileMs: RECONCILE_MS });
}

/** A patient inside the 24-hour window with one text reply due; returns the patient's phone number. */
async function replyDue(clock: Clock): Promise<string> {
  const phone = `3361${String(++n).padStart(7, '0')}`;
  const p = await db.db.insertInto('patients').values({ wa_id: phone, last_inbound_at: clock.now() }).returning('id').executeTakeFirstOrThrow();
  await enqueue(db.db, cipher, { patientId: p.id, phone, bsuid: null }, [{ type: 'text', text: { body: 'Your appointment is confirmed.' } }], { notBefore: clock.now() });
  return phone;
}

async function row(phone: string) {
  return db.db.selectFrom('outbox').selectAll('outbox').innerJoin('patients', 'patients.id', 'outbox.patient_id').where('patients.wa_id', '=', phone).executeTakeFirstOrThrow();
}

async function sendAll(s: Sender): Promise<void> {
  while ((await s.tick()) > 0);
  await s.drain();
}

describe('a claim that reconciliation took back', () => {
  it('never leaves: a stalled process whose row was re-claimed and sent does not send it again', async () => {
    const t0 = Date.parse('2026-06-01T09:00:00Z');
    const stalled = new ManualClock(t0);
    const other = new ManualClock(t0);
    const phone = await replyDue(stalled);
    // The stalled process's slot is a moment ahead, so its send is claimed but has not left yet.
    await db.db.updateTable('send_schedule').set({ next_slot: new Date(t0 + 300) }).execute();
    const a = sender(stalled);
    expect(await a.tick()).toBe(1);
    // Seen from another instance, the claim is older than any send can take: its process looks dead.
    other.t = t0 + SEND_TIMEOUT_MS + 6000;
    const b = sender(other);
    await startListening(db.db, other, 'b');
    expect(await b.reconcile()).toBe(1);
    expect((await row(phone)).state).toBe('pending');
    await sendAll(b);
    await a.drain();
    expect(fake.delivered(phone)).toHaveLength(1);
    const r = await row(phone);
    expect([r.state, r.claim_seq, r.attempts]).toEqual(['sent', 2, 2]);
  });

  it('keeps a late answer to the lost claim from settling the claim that is sending the row now', async () => {
    const t0 = Date.parse('2026-06-01T10:00:00Z');
    const stalled = new ManualClock(t0);
    const other = new ManualClock(t0);
    const phone = await replyDue(stalled);
    let calls = 0;
    fake.setFaults(() => (++calls === 1 ? '500' : 'ok'));
    const first = heldGraph();
    const a = sender(stalled, first.graph);
    await a.tick();
    await first.sent; // the request left and failed with 131000, but its answer is held
    // Another instance finds the row dispatched long ago: in doubt, then (no status) resent.
    await startListening(db.db, other, 'b');
    const b = sender(other);
    const second = heldGraph();
    const b2 = sender(other, second.graph);
    other.t = t0 + SEND_TIMEOUT_MS + 6000;
    await b.reconcile();
    expect((await row(phone)).state).toBe('in_doubt');
    other.t += EXTRA_MS + RECONCILE_MS + 1000;
    await beat(db.db, other, 'b');
    await b.reconcile();
    expect((await row(phone)).state).toBe('pending');
    await b2.tick();
    await second.sent;
    // The first answer arrives now: "retry later" for a claim that is no longer the row's.
    first.release();
    await a.drain();
    const during = await row(phone);
    expect([during.state, during.claim_seq]).toEqual(['sending', 2]);
    second.release();
    await b2.drain();
    expect((await row(phone)).state).toBe('sent');
    expect(fake.delivered(phone)).toHaveLength(1);
  });
});

describe('the send schedule', () => {
  it('gives a send that could not leave near its slot back to the queue, unsent and not counted as an attempt', async () => {
    const t0 = Date.parse('2026-06-05T09:00:00Z');
    const clock = new ManualClock(t0);
    const phone = await replyDue(clock);
    await db.db.updateTable('send_schedule').set({ next_slot: new Date(t0 + 200) }).execute();
    const s = sender(clock);
    expect(await s.tick()).toBe(1);
    clock.t += 5000; // the process stalled past its slot
    await s.drain();
    expect(fake.delivered(phone)).toHaveLength(0);
    const r = await row(phone);
    expect([r.state, r.attempts, r.dispatched_at]).toEqual(['pending', 0, null]);
    await sendAll(s);
    expect(fake.delivered(phone)).toHaveLength(1);
  });
});

describe('a send and its dispatch mark', () => {
  it('is marked only once a connection is ready, and written only once the mark has committed', async () => {
    const t0 = Date.parse('2026-06-06T09:00:00Z');
    const clock = new ManualClock(t0);
    const phone = await replyDue(clock);
    const marksAtWrite: Promise<Date | null>[] = [];
    // The mark as another connection reads it, asked for as the request is written (on PGlite the read waits
    // for the sender to let go of the session, right after the write).
    const { graph: g, connect, isOpen } = gatedConnection({ onSend: () => marksAtWrite.push(row(phone).then((r) => r.dispatched_at)) });
    const s = sender(clock, g);
    expect(await s.tick()).toBe(1);
    await isOpen;
    await new Promise((r) => setTimeout(r, 50));
    // No connection yet: nothing marked, nothing sent.
    expect((await row(phone)).dispatched_at).toBeNull();
    expect(fake.delivered(phone)).toHaveLength(0);
    connect();
    await s.drain();
    expect(marksAtWrite).toHaveLength(1);
    expect(await marksAtWrite[0]).toEqual(new Date(t0));
    expect(fake.delivered(phone)).toHaveLength(1);
    const r = await row(phone);
    expect(r.state).toBe('sent');
    expect(r.dispatched_at).not.toBeNull();
  });

  it('goes back unmarked and unsent when waiting for its connection took it past its slot', async () => {
    const t0 = Date.parse('2026-06-06T09:30:00Z');
    const clock = new ManualClock(t0);
    const phone = await replyDue(clock);
    let abandoned = 0;
    const { graph: g, connect, isOpen } = gatedConnection({ onAbandon: () => abandoned++ });
    const s = sender(clock, g);
    expect(await s.tick()).toBe(1);
    await isOpen;
    clock.t += 600; // the connection took 0.6 s (a loaded machine): past LATE_MS, within the mark's own limit
    connect();
    await s.drain();
    expect(abandoned).toBe(1);
    expect(fake.delivered(phone)).toHaveLength(0);
    const r = await row(phone);
    expect([r.state, r.attempts, r.dispatched_at]).toEqual(['pending', 0, null]);
    await sendAll(sender(clock));
    expect(fake.delivered(phone)).toHaveLength(1);
  });

  it('goes back unmarked, not in doubt and not counted, when the Cloud API cannot be reached; and leaves once it can', async () => {
    const t0 = Date.parse('2026-06-06T10:00:00Z');
    const clock = new ManualClock(t0);
    const phone = await replyDue(clock);
    const closed = await import('node:http').then((h) => h.createServer());
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as import('node:net').AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = new GraphClient({ apiUrl: `http://127.0.0.1:${port}`, apiVersion: 'v26.0', accessToken: 'sender-test-token', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 2000 });
    const s = sender(clock, down);
    expect(await s.tick()).toBe(1);
    await s.drain();
    const r = await row(phone);
    expect([r.state, r.attempts, r.dispatched_at, r.in_doubt_at]).toEqual(['pending', 0, null, null]);
    expect(r.next_attempt_at.getTime()).toBeGreaterThan(t0);
    // Not due again at once: the poll does not hammer an unreachable API.
    expect(await s.tick()).toBe(0);
    clock.t = r.next_attempt_at.getTime() + 1;
    await sendAll(sender(clock));
    expect(fake.delivered(phone)).toHaveLength(1);
    expect((await row(phone)).state).toBe('sent');
  });
});

describe('an in-doubt send whose wait spans a restart', () => {
  /** One send whose answer was lost (in doubt at t0) by an instance listening since t0 - 1 s. */
  async function inDoubtAt(t0: number): Promise<{ clock: ManualClock; phone: string }> {
    const clock = new ManualClock(t0 - 1000);
    await startListening(db.db, clock, 'first');
    clock.t = t0;
    const phone = await replyDue(clock);
    fake.setFaults(() => 'lost');
    await sendAll(sender(clock));
    fake.setFaults(() => 'ok');
    expect((await row(phone)).state).toBe('in_doubt');
    await beat(db.db, clock, 'first');
    return { clock, phone };
  }

  it.each([
    ['30 s', 30_000],
    ['a moment', 5],
  ])('waits the reconciliation window and a minute after a restart %s after the last beat', async (_, downMs) => {
    const t0 = Date.parse('2026-06-02T09:00:00Z') + downMs;
    const { clock, phone } = await inDoubtAt(t0);
    clock.t += 1000;
    await beat(db.db, clock, 'first'); // its last beat: the process is killed here
    clock.t += downMs;
    await startListening(db.db, clock, 'second');
    const restarted = sender(clock);
    const restartAt = clock.t;
    for (const at of [restartAt + RECONCILE_MS + 1000, restartAt + EXTRA_MS, restartAt + EXTRA_MS + RECONCILE_MS - 500]) {
      clock.t = at;
      await beat(db.db, clock, 'second');
      await restarted.reconcile();
      expect((await row(phone)).state).toBe('in_doubt');
    }
    clock.t = restartAt + EXTRA_MS + RECONCILE_MS + 500;
    await beat(db.db, clock, 'second');
    await restarted.reconcile();
    await sendAll(restarted);
    expect((await row(phone)).state).toBe('sent');
    expect(fake.delivered(phone)).toHaveLength(2);
  });

  it('waits only the reconciliation window when another instance listened all along', async () => {
    const t0 = Date.parse('2026-06-03T09:00:00Z');
    const peerClock = new ManualClock(t0 - 5000);
    await startListening(db.db, peerClock, 'peer');
    const { clock, phone } = await inDoubtAt(t0);
    // "first" dies; "peer" keeps beating; a new instance starts beside it.
    for (let t = t0 + 1000; t <= t0 + RECONCILE_MS + 3000; t += 1000) {
      peerClock.t = t;
      await beat(db.db, peerClock, 'peer');
    }
    clock.t = t0 + 2000;
    await startListening(db.db, clock, 'second');
    clock.t = t0 + RECONCILE_MS + 3000;
    const s = sender(clock);
    await s.reconcile();
    await sendAll(s);
    expect(fake.delivered(phone)).toHaveLength(2);
  });

  it('waits on the clock alone when no listener was ever recorded (the sender run on its own)', async () => {
    const t0 = Date.parse('2026-06-06T09:00:00Z');
    const clock = new ManualClock(t0);
    // What migration 0008 leaves: one span for whatever ran before it, and no instance since.
    await db.db.insertInto('webhook_listeners').values({ instance: 'before-0008', started_at: new Date(t0 - 3_600_000), beat_at: new Date(t0 - 3_600_000) }).execute();
    const phone = await replyDue(clock);
    fake.setFaults(() => 'lost');
    const s = sender(clock);
    await sendAll(s);
    fake.setFaults(() => 'ok');
    clock.t += RECONCILE_MS + 1000;
    await s.reconcile();
    await sendAll(s);
    expect(fake.delivered(phone)).toHaveLength(2);
  });

  it('resends nothing while no instance is listening for webhooks', async () => {
    const t0 = Date.parse('2026-06-04T09:00:00Z');
    const { clock, phone } = await inDoubtAt(t0);
    clock.t = t0 + 10 * EXTRA_MS; // no beat since t0
    await sender(clock).reconcile();
    expect((await row(phone)).state).toBe('in_doubt');
    const late = await db.db.selectFrom('webhook_listeners').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(late.n).toBe(1);
  });
});

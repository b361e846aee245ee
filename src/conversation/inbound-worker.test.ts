// The inbound worker orders messages by person: a patient known by a BSUID and a phone is one lane, whichever
// identity a message carries, also through the patients table. Workers are woken only after the commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { bsuidIndex } from '../compliance/identifiers.js';
import { cipher, person, storeText, testWorker, type Who } from '../../test/support/inbound.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.close();
});

type Link = 'message' | 'patient';
/**
 * [first message's identities, second message's identities, how the two are known to be one person]:
 * 'message' when one of the messages carries both, 'patient' when only an earlier message made the patient.
 */
const cases: [string, (keyof Who)[], (keyof Who)[], Link][] = [
  ['BSUID and phone, then phone only', ['bsuid', 'phone'], ['phone'], 'message'],
  ['phone only, then BSUID and phone', ['phone'], ['bsuid', 'phone'], 'message'],
  ['BSUID and phone, then BSUID only', ['bsuid', 'phone'], ['bsuid'], 'message'],
  ['BSUID only, then phone only (patient known by both)', ['bsuid'], ['phone'], 'patient'],
  ['phone only, then BSUID only (patient known by both)', ['phone'], ['bsuid'], 'patient'],
];

const pick = (p: Required<Who>, keys: (keyof Who)[]): Who => Object.fromEntries(keys.map((k) => [k, p[k]]));

describe('inbound order by person', () => {
  it.each(cases)('%s: the later message waits while the earlier one is pending', async (_name, first, second, link) => {
    let offset = 0;
    let failNext = true;
    const w = testWorker(t.db, {
      instanceId: 'a',
      now: () => new Date(Date.now() + offset),
      handle: (body) => {
        if (body === 'first' && failNext) {
          failNext = false;
          throw new Error('handler failed once');
        }
      },
    });
    const p = person();
    if (link === 'patient') {
      await storeText(t.db, p, 'hello');
      expect(await w.worker.tick()).toBe(1);
    }
    const other = person();
    await storeText(t.db, pick(p, first), 'first');
    await storeText(t.db, pick(p, second), 'second');
    await storeText(t.db, other, 'someone else');
    // 'first' fails and waits for its retry; 'second' must wait behind it; the other patient goes on.
    while (await w.worker.tick()) {
      /* drain what is claimable now */
    }
    const before = link === 'patient' ? ['hello'] : [];
    expect(w.seen).toEqual([...before, 'first', 'someone else']);
    offset = 120_000; // past the retry's backoff
    while (await w.worker.tick()) {
      /* drain */
    }
    expect(w.seen).toEqual([...before, 'first', 'someone else', 'first', 'second']);
    const states = await t.db.selectFrom('inbound_messages').select(['state']).where('wamid', 'like', 'wamid.T%').where('state', '!=', 'done').execute();
    expect(states).toEqual([]);
  });

  it('an unknown person with two identities in two messages cannot be linked: both lanes go', async () => {
    let offset = 0;
    let failNext = true;
    const w = testWorker(t.db, {
      instanceId: 'a',
      now: () => new Date(Date.now() + offset),
      handle: (body) => {
        if (body === 'stuck' && failNext) {
          failNext = false;
          throw new Error('handler failed once');
        }
      },
    });
    const p = person();
    await storeText(t.db, { bsuid: p.bsuid }, 'stuck');
    await storeText(t.db, { phone: p.phone }, 'free');
    while (await w.worker.tick()) {
      /* drain */
    }
    expect(w.seen).toEqual(['stuck', 'free']);
    offset = 120_000;
    while (await w.worker.tick()) {
      /* drain */
    }
    expect(w.seen).toEqual(['stuck', 'free', 'stuck']);
  });

  it('wakes the sender only for messages that committed replies', async () => {
    const w = testWorker(t.db, { instanceId: 'a' });
    const p = person();
    await storeText(t.db, p, 'hi');
    expect(await w.worker.tick()).toBe(1);
    expect(w.wakes).toEqual(['replies']);
    const out = await t.db.selectFrom('outbox').select('kind').innerJoin('patients', 'patients.id', 'outbox.patient_id').where('patients.bsuid_index', '=', bsuidIndex(cipher, p.bsuid)).orderBy('outbox.id').execute();
    expect(out.map((r) => r.kind)).toEqual(['read', 'text']);
  });
});

describe('lanes that go on', () => {
  it('takes up to concurrency × laneRun messages in one tick, in order per person, and stops when nothing is left', async () => {
    const w = testWorker(t.db, { instanceId: 'lanes', concurrency: 2, laneRun: 3 });
    const people = Array.from({ length: 4 }, () => person());
    for (const [i, p] of people.entries()) {
      await storeText(t.db, p, `lanes ${i} a`);
      await storeText(t.db, p, `lanes ${i} b`);
    }
    // Four people, two lanes: someone always has a message to claim until the cap of 2 × 3.
    expect(await w.worker.tick()).toBe(6);
    // Then what is left; on a server a lane may find only a message whose earlier one the other lane holds.
    let rest = 0;
    for (let n = await w.worker.tick(); n > 0; n = await w.worker.tick()) rest += n;
    expect(rest).toBe(2);
    expect(w.seen).toHaveLength(8);
    for (let i = 0; i < people.length; i++) expect(w.seen.indexOf(`lanes ${i} a`)).toBeLessThan(w.seen.indexOf(`lanes ${i} b`));
  });

  it('takes one message per lane while webhook intake is busy, so the rest between ticks keeps intake first', async () => {
    let busy = true;
    const w = testWorker(t.db, { instanceId: 'lanes-busy', concurrency: 2, laneRun: 3, intakeBursting: () => busy });
    for (let i = 0; i < 4; i++) await storeText(t.db, person(), `busy ${i}`);
    expect(await w.worker.tick()).toBe(2);
    busy = false;
    expect(await w.worker.tick()).toBe(2);
    expect(await w.worker.tick()).toBe(0);
  });
});

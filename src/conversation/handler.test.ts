import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { seedDemoClinic } from '../scheduling/index.js';
import { parseInboundMessage } from '../whatsapp/inbound-model.js';
import { outboundMessageSchema } from '../whatsapp/outbound.js';
import { placeholderHandler } from './handler.js';
import type { Patient } from '../patients/index.js';

let t: TestDatabase;
const patient: Patient = { id: '00000000-0000-4000-8000-000000000001', waId: '33600000001', bsuid: null, username: null, language: null, lastInboundAt: null };
const msg = (extra: Record<string, unknown>) => parseInboundMessage({ from: '33600000001', id: `wamid.${Math.random()}`, timestamp: '1760000000', ...extra });
const tap = (id: string, kind: 'button_reply' | 'list_reply' = 'button_reply') => msg({ type: 'interactive', interactive: { type: kind, [kind]: { id, title: 'x' } } });
const run = (m: ReturnType<typeof msg>) => t.db.transaction().execute((tx) => placeholderHandler(tx, { message: m, patient, isNewPatient: false, now: new Date() }));

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDemoClinic(t.db, { reset: false });
});
afterAll(async () => t.close());

describe('placeholder conversation handler', () => {
  it('answers any text with the menu of three buttons', async () => {
    const [reply] = await run(msg({ type: 'text', text: { body: 'Bonjour' } }));
    expect(reply?.type).toBe('interactive');
    const ids = reply?.type === 'interactive' && reply.interactive.type === 'button' ? reply.interactive.action.buttons.map((b) => b.reply.id) : [];
    expect(ids).toEqual(['menu:book', 'menu:hours', 'menu:question']);
  });

  it('answers opening hours from the clinic\'s FAQ and offers the menu again', async () => {
    const replies = await run(tap('menu:hours'));
    expect(replies).toHaveLength(2);
    expect(replies[0]).toMatchObject({ type: 'text' });
    expect(replies[0]?.type === 'text' ? replies[0].text.body : '').toMatch(/Monday to Friday/);
  });

  it('lists the FAQ topics and answers the one tapped', async () => {
    const [topics] = await run(tap('menu:question'));
    const rows = topics?.type === 'interactive' && topics.interactive.type === 'list' ? topics.interactive.action.sections.flatMap((s) => s.rows) : [];
    expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining(['faq:insurance', 'faq:payment', 'faq:accessibility', 'faq:location']));
    const replies = await run(tap('faq:accessibility', 'list_reply'));
    expect(replies[0]?.type === 'text' ? replies[0].text.body : '').toMatch(/step-free|wheelchair|lift/i);
  });

  it('produces only messages the Cloud API accepts, and says so for unsupported content', async () => {
    const runs = [
      await run(msg({ type: 'text', text: { body: 'hi' } })),
      await run(tap('menu:book')),
      await run(tap('menu:question')),
      await run(msg({ type: 'sticker2', sticker2: {} })),
    ];
    // Each of them answers something, so the check below is over four answers at least, never over none.
    expect(runs.map((r) => r.length > 0)).toEqual([true, true, true, true]);
    for (const m of runs.flat()) expect(outboundMessageSchema.safeParse(m).success).toBe(true);
    expect(await run(msg({ type: 'reaction', reaction: { message_id: 'wamid.x', emoji: '👍' } }))).toEqual([]);
  });

  it('answers nothing to an edit, a deletion or a call permission answer, and greets a chat opened for the first time', async () => {
    expect(await run(msg({ type: 'edit', edit: { original_message_id: 'wamid.o', message: { type: 'text', text: { body: 'x' } } } }))).toEqual([]);
    expect(await run(msg({ type: 'revoke', revoke: { original_message_id: 'wamid.o' } }))).toEqual([]);
    expect(await run(msg({ type: 'edit', edit: 'malformed' }))).toEqual([]);
    expect(await run(msg({ type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'reject' } } }))).toEqual([]);
    const [welcome] = await run(msg({ type: 'request_welcome' }));
    expect(welcome?.type === 'interactive' ? welcome.interactive.body.text : '').toMatch(/^Hello! Welcome/);
  });
});

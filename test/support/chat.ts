// A patient's phone for end-to-end conversation tests: sends signed webhooks (text, a tapped reply button, a
// chosen list row) to the running app and reads back, from the fake Graph API, the replies the app sent to
// that one message, in order, as the Cloud API received them.
import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { waitFor } from './app.js';
import { inboundText, sign, type FakeGraph } from './fake-graph.js';

export type Wire = Record<string, unknown>;

interface Interactive {
  type: 'button' | 'list';
  body: { text: string };
  action: { buttons?: { reply: { id: string; title: string } }[]; sections?: { rows: { id: string; title: string; description?: string }[] }[] };
}

export const interactive = (m: Wire | undefined): Interactive | null => (m?.['type'] === 'interactive' ? (m['interactive'] as Interactive) : null);

export function bodyText(m: Wire | undefined): string {
  if (!m) return '';
  if (m['type'] === 'text') return (m['text'] as { body: string }).body;
  return interactive(m)?.body.text ?? '';
}

/** The choices of an interactive message: its buttons, or its list's rows. */
export function choices(m: Wire | undefined): { id: string; title: string; description?: string }[] {
  const i = interactive(m);
  if (!i) return [];
  return i.action.buttons ? i.action.buttons.map((b) => b.reply) : (i.action.sections ?? []).flatMap((s) => s.rows);
}

export const ids = (m: Wire | undefined): string[] => choices(m).map((c) => c.id);

export const newPhone = (): string => `336${crypto.randomInt(10_000_000, 99_999_999)}`;

export class Phone {
  constructor(
    private readonly o: { base: () => string; db: () => Db; fake: FakeGraph; secret: string },
    readonly number: string,
    readonly name = 'Test Patient',
  ) {}

  private async post(payload: Wire): Promise<string> {
    const m = ((payload['entry'] as { changes: { value: { messages: Wire[] } }[] }[])[0]!.changes[0]!.value.messages)[0]!;
    const raw = JSON.stringify(payload);
    const r = await fetch(`${this.o.base()}/webhooks/whatsapp`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, this.o.secret) } });
    expect(r.status).toBe(200);
    return m['id'] as string;
  }

  /** Types a message; returns the replies to it. */
  async say(text: string): Promise<Wire[]> {
    return this.repliesTo(await this.post(inboundText(this.number, text, { name: this.name })));
  }

  /** Taps a reply button or chooses a list row of one of the bot's messages; returns the replies. */
  async tap(choice: { id: string; title: string }, kind: 'button' | 'list' = 'button'): Promise<Wire[]> {
    const payload = inboundText(this.number, choice.title, { name: this.name });
    const m = ((payload['entry'] as { changes: { value: { messages: Wire[] } }[] }[])[0]!.changes[0]!.value.messages)[0]!;
    delete m['text'];
    Object.assign(m, {
      type: 'interactive',
      context: { from: '15550001111', id: `wamid.OUT${crypto.randomBytes(4).toString('hex')}` },
      interactive: kind === 'button' ? { type: 'button_reply', button_reply: choice } : { type: 'list_reply', list_reply: choice },
    });
    return this.repliesTo(await this.post(payload));
  }

  /** Chooses the option whose id starts with `prefix` (the first such) in `m`. */
  async choose(m: Wire | undefined, prefix: string): Promise<Wire[]> {
    const c = choices(m).find((x) => x.id.startsWith(prefix));
    if (!c) throw new Error(`no choice starting with ${prefix} among ${ids(m).join(', ')}`);
    return this.tap(c, interactive(m)?.type === 'list' ? 'list' : 'button');
  }

  /** The bodies the Graph API received for the replies to one inbound message (not its read receipt), in order. */
  async repliesTo(wamid: string): Promise<Wire[]> {
    const db = this.o.db();
    const inbound = await waitFor(() => db.selectFrom('inbound_messages').select('id').where('wamid', '=', wamid).where('state', '=', 'done').executeTakeFirst(), 30_000);
    if (!inbound) throw new Error(`message ${wamid} was not processed`);
    const rows = await db.selectFrom('outbox').select(['id', 'callback_token']).where('caused_by', '=', inbound.id).where('kind', '<>', 'read').orderBy('id').execute();
    const bodies = await waitFor(() => {
      const got = rows.map((r) => this.o.fake.received.find((x) => x.body['biz_opaque_callback_data'] === `pl:${r.id}:${r.callback_token}` && x.rejected === null));
      return got.every(Boolean) ? got.map((g) => g!.body) : null;
    }, 30_000);
    if (!bodies) throw new Error('the replies did not reach the Graph API');
    return bodies;
  }

  /** Business-initiated messages (not replies) that reached this phone, newest last. */
  async initiated(match: (m: Wire) => boolean, ms = 20_000): Promise<Wire> {
    const found = await waitFor(() => this.o.fake.received.find((x) => String(x.body['to']).replace(/\D/g, '') === this.number && x.rejected === null && match(x.body))?.body, ms);
    if (!found) throw new Error('the expected message did not reach the patient');
    return found;
  }
}

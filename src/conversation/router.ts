// The router: where a message goes when no earlier rule (red flags, STOP/START, a handoff) took it. A tapped
// id goes to the flow its prefix names (`menu:book` and the other menu entries to the flow they open), also
// when another flow is active; an active flow gets the patient's words next; otherwise the NLU's intent
// decides. A message the NLU does not understand gets ONE clarifying question with buttons of its best
// guesses and "Talk to staff"; a second miss in a row hands the conversation to staff.
import type { Effect, Flow, FlowContext, StepInput, StepResult } from './flow.js';
import { normaliseKeyword } from '../compliance/index.js';
import type { Intent } from '../nlu/types.js';
import { mainMenu, tappedId, welcome } from '../flows/common.js';
import { answerWith, FAQ_INTENTS, topicTitle } from '../flows/faq.js';
import { handTo } from '../flows/handoff.js';
import { LANGUAGE_WORDS } from '../flows/language.js';
import { extractMeasurements } from '../nlu/entities/measurements.js';
import { replyButtons, text, type OutboundMessage } from '../whatsapp/outbound.js';

export type FlowRegistry = Readonly<Record<string, Flow<unknown>>>;

/**
 * The flow a template's quick-reply payload goes to (`confirm:<appointment id>`, src/whatsapp/templates.ts;
 * a medication reminder's `taken:<occurrence id>` / `snooze:<occurrence id>`, src/careplans/templates.ts).
 */
const PAYLOAD_TARGETS: Record<string, string> = { confirm: 'booking', reschedule: 'booking', cancel: 'booking', taken: 'careplans', snooze: 'careplans' };

/** A follow-up template's Book payload, `book:<service code>`: the booking flow's `booking:start:<code>`. */
function rewritten(input: StepInput, id: string): { input: StepInput; id: string } {
  const m = input.message;
  if (m.type !== 'button' || !id.startsWith('book:')) return { input, id };
  const to = `booking:start:${id.slice('book:'.length)}`;
  return { input: { ...input, message: { ...m, payload: to } }, id: to };
}

/** The flow a menu entry opens. */
const MENU_TARGETS: Record<string, string> = { 'menu:book': 'booking', 'menu:faq': 'faq', 'menu:symptoms': 'triage', 'menu:language': 'lang', 'menu:staff': 'handoff' };

const APPOINTMENT_INTENTS: ReadonlySet<string> = new Set(['book_appointment', 'reschedule_appointment', 'cancel_appointment', 'confirm_appointment', 'appointment_status']);
const MEDIA: ReadonlySet<string> = new Set(['image', 'audio', 'video', 'document', 'sticker']);

export interface RouterSession {
  flow: string | null;
  state: unknown;
  flowVersion: number;
  misses: number;
}

export interface Routed {
  /** The flow that answered, when its state is to be kept (state non-null). */
  flow: string | null;
  flowVersion: number;
  state: unknown;
  outbound: OutboundMessage[];
  effects: Effect[];
  misses: number;
  /** The answer is the welcome (a new patient gets no second one). */
  welcomed: boolean;
}

function finished(r: StepResult<unknown>, flow: Flow<unknown> | null, extra: Partial<Routed> = {}): Routed {
  return {
    flow: r.state === null || flow === null ? null : flow.name,
    flowVersion: flow?.version ?? 1,
    state: r.state,
    outbound: r.outbound,
    effects: r.effects,
    misses: 0,
    welcomed: false,
    ...extra,
  };
}

const plain = (outbound: OutboundMessage[], extra: Partial<Routed> = {}): Routed => finished({ state: null, outbound, effects: [] }, null, extra);

/** Starts or continues a flow; null when it passes (the patient changed the subject). */
async function run(flows: FlowRegistry, name: string, session: RouterSession, input: StepInput, ctx: FlowContext): Promise<Routed | null> {
  const flow = flows[name];
  if (!flow) return plain([mainMenu(ctx)]);
  // The same flow, same shape: continue it; otherwise (a button of a flow not active, a stored state of an
  // older version) begin it afresh.
  const r = session.flow === name && session.flowVersion === flow.version && session.state !== null
    ? await flow.step(session.state, input, ctx)
    : await flow.start(input, ctx);
  return r.pass === true ? null : finished(r, flow);
}

async function begin(flows: FlowRegistry, name: string, session: RouterSession, input: StepInput, ctx: FlowContext): Promise<Routed> {
  return (await run(flows, name, session, input, ctx)) ?? plain([mainMenu(ctx)]);
}

/** The clarifying question's buttons: the NLU's best guesses as the menu entries they stand for. */
function guesses(ctx: FlowContext, input: StepInput): { id: string; title: string }[] {
  const intents: Intent[] = input.nlu ? [input.nlu.intent, ...input.nlu.alternatives.map((a) => a.intent)] : [];
  const out: { id: string; title: string }[] = [];
  for (const intent of intents) {
    let b: { id: string; title: string } | null = null;
    if (APPOINTMENT_INTENTS.has(intent)) b = { id: 'menu:book', title: ctx.t('menu.bookButton') };
    else if (FAQ_INTENTS.has(intent)) b = { id: `faq:${intent}`, title: topicTitle(ctx, intent) };
    else if (intent === 'symptoms') b = { id: 'menu:symptoms', title: ctx.t('menu.symptomsButton') };
    if (b && !out.some((o) => o.id === b.id)) out.push(b);
    if (out.length === 2) break;
  }
  if (out.length === 0) out.push({ id: 'menu:main', title: ctx.t('common.menuButton') });
  return [...out, { id: 'handoff:human', title: ctx.t('menu.staffButton') }];
}

async function miss(session: RouterSession, input: StepInput, ctx: FlowContext): Promise<Routed> {
  if (session.misses >= 1) return finished(handTo(ctx, input, 'handoff.misunderstood', 'misunderstood'), null);
  return plain([replyButtons({ body: ctx.t('common.clarifyBody'), buttons: guesses(ctx, input) })], { misses: session.misses + 1 });
}

export async function route(flows: FlowRegistry, session: RouterSession, input: StepInput, ctx: FlowContext): Promise<Routed> {
  const m = input.message;
  const id = tappedId(m);
  const words = input.text === null ? null : normaliseKeyword(input.text);

  if (id === 'menu:language' || (id === null && words !== null && LANGUAGE_WORDS.has(words))) return begin(flows, 'lang', session, input, ctx);
  if (id !== null) {
    if (id === 'menu:main') return plain([mainMenu(ctx)]);
    const r = rewritten(input, id);
    if (r.id !== id) return begin(flows, 'booking', session, r.input, ctx);
    const prefix = id.split(':')[0]!;
    const name = MENU_TARGETS[id] ?? PAYLOAD_TARGETS[prefix] ?? prefix;
    return begin(flows, name, session, input, ctx);
  }

  // An active flow gets the patient's words first; `pass` gives them back.
  if (session.flow !== null && flows[session.flow]) {
    const r = await run(flows, session.flow, session, input, ctx);
    if (r !== null) return r;
  }

  // The answer to a vitals prompt ("135/85", "5,8"): the care-plans flow, when the patient has a prompt open.
  if (m.type === 'text' && input.text !== null && ctx.careplans && flows.careplans) {
    const found = input.nlu?.entities.measurements ?? extractMeasurements(input.text);
    if (found.length > 0 && (await ctx.careplans.openVitalsPrompt()) !== null) return begin(flows, 'careplans', session, input, ctx);
  }

  if (m.type === 'unknown') {
    if (m.rawType === 'request_welcome') return plain([welcome(ctx)], { welcomed: true });
    return plain([text(ctx.t('common.unsupported'))]);
  }
  if (MEDIA.has(m.type) && (input.text === null || input.text.trim() === '')) return plain([text(ctx.t('common.mediaReceived'))]);
  if (input.text === null || input.text.trim() === '') return plain([mainMenu(ctx)]);

  const nlu = input.nlu;
  // Without an understanding layer (none configured) every free text gets the welcome and the menu.
  if (nlu === null) {
    const faq = await ctx.faq.match(input.text, ctx.language, null);
    if (faq) return finished(answerWith(ctx, faq), null);
    return plain([welcome(ctx)], { welcomed: true });
  }
  const intent = nlu.intent;
  if (intent === 'greeting') return plain([welcome(ctx)], { welcomed: true });
  if (intent === 'thanks') return plain([text(ctx.t('common.thanks'))]);
  if (intent === 'feedback') return plain([text(ctx.t('common.feedbackThanks'))]);
  if (FAQ_INTENTS.has(intent)) return begin(flows, 'faq', session, input, ctx);
  if (APPOINTMENT_INTENTS.has(intent)) return begin(flows, 'booking', session, input, ctx);
  if (intent === 'symptoms') return begin(flows, flows.triage ? 'triage' : 'handoff', session, input, ctx);
  if (intent === 'talk_to_human' || intent === 'lab_results' || intent === 'prescription_renewal') return begin(flows, 'handoff', session, input, ctx);
  if (intent === 'opt_out' || intent === 'opt_in') return begin(flows, 'consent', session, input, ctx);
  // Not understood, but it names a day or a time ("extraccion de sangre lunes por la manana"): a booking,
  // whose flow reads the service from the words and otherwise asks which.
  if (intent === 'other' && (nlu.entities.dates?.length ?? 0) > 0 && ctx.scheduling && flows.booking) return begin(flows, 'booking', session, input, ctx);
  const faq = await ctx.faq.match(input.text, ctx.language, nlu);
  if (faq) return finished(answerWith(ctx, faq), null);
  return miss(session, input, ctx);
}


// The conversation engine's pure step: one inbound message, the patient's session and a read-only context in;
// the next session, the messages to send and the effects (handoffs, alerts, consent, language, jobs) out.
// No I/O: the inbound worker persists all of it in the transaction that marks the message done. Per message,
// in this order (the order is the safety property, each step tested):
//   a. nothing to answer: reactions, system notices, edits and deletions, call permission answers;
//   b. RED FLAGS FIRST on every text the patient typed: the emergency reply (the clinic's emergency number in
//      the first message), an emergency handoff and a staff alert; before STOP, onboarding, any flow, and
//      also during a handoff;
//   c. STOP / START keywords (recorded by the worker through the compliance functions, confirmed once);
//   d. an active handoff: the bot stays silent, except to say once, while the clinic is closed, when to
//      expect an answer;
//   e-h. the router (language, buttons, the active flow, the NLU's intent), a new patient's welcome.
import { keywordDecision } from '../compliance/index.js';
import { detectRedFlags, isLanguage, type Language, type RedFlag } from '../nlu/index.js';
import { changesEarlierMessage, type InboundMessage } from '../whatsapp/inbound-model.js';
import { text, type OutboundMessage } from '../whatsapp/outbound.js';
import { availability, clinicName } from '../flows/common.js';
import type { CarePlansPort, ClinicView, Effect, FaqLookup, FlowContext, HandoffView, PatientView, SchedulingPort, StepInput, Translate } from './flow.js';
import { route, type FlowRegistry } from './router.js';

export interface Session {
  /** The active flow, or null (the router decides the next message). */
  flow: string | null;
  /** The active flow's own state. */
  state: unknown;
  /** The version of the flow that wrote `state`: another version restarts the flow. */
  flowVersion: number;
  /** Consecutive messages not understood (the second one hands over to staff). */
  misses: number;
  /** Until when the patient knows the clinic is closed (ISO): the closed notice during a handoff is said once. */
  noticeUntil: string | null;
}

export const NEW_SESSION: Session = { flow: null, state: null, flowVersion: 1, misses: 0, noticeUntil: null };

export type EmergencyReply = (flags: RedFlag[], clinic: ClinicView, t: Translate) => OutboundMessage[];

export interface EngineContext {
  clinic: ClinicView;
  patient: PatientView;
  faq: FaqLookup;
  handoff: HandoffView | null;
  /** Booking through the message's transaction, in the language of the answer (null: no clinic to book with). */
  scheduling?: ((language: Language) => SchedulingPort) | null;
  /** Care-plan answers through the message's transaction (null: none). */
  careplans?: CarePlansPort | null;
  /** A translator per language, bound to the clinic's time zone. */
  tIn(language: Language): Translate;
  flows: FlowRegistry;
  emergencyReply: EmergencyReply;
}

export interface EngineResult {
  session: Session;
  outbound: OutboundMessage[];
  effects: Effect[];
  /** The language the answer is in. */
  language: Language;
}

/** Input that carries nothing to answer. */
export function nothingToAnswer(m: InboundMessage): boolean {
  return m.type === 'reaction' || m.type === 'system' || changesEarlierMessage(m) || (m.type === 'interactive' && m.reply.kind === 'call_permission_reply');
}

/** Words the patient typed (not a tap on one of our buttons, whose title is our own text). */
export function typedByPatient(m: InboundMessage): boolean {
  return m.type !== 'interactive' && m.type !== 'button';
}

const LETTERS = /\p{L}/gu;
/** A real sentence (at least two words, ten letters), not "ok" or "👍": enough to trust a language detection. */
export function isRealSentence(s: string): boolean {
  const words = s.trim().split(/\s+/).filter((w) => /\p{L}{2,}/u.test(w));
  return words.length >= 2 && (s.match(LETTERS)?.length ?? 0) >= 10;
}

const FIRST_DETECTION = 0.6;
const SWITCH_DETECTION = 0.8;

/** The language to answer in, and whether it becomes the patient's stored preference. */
export function chooseLanguage(input: StepInput, clinic: ClinicView, stored: string | null): { language: Language; store: boolean } {
  const preference = isLanguage(stored) && clinic.languages.includes(stored) ? stored : null;
  const nlu = input.nlu;
  if (nlu && input.text !== null && typedByPatient(input.message) && clinic.languages.includes(nlu.language)) {
    // A first message: a confident detection, or a fair one on a real sentence (one-word greetings such as
    // "hi" are where detectors guess).
    if (preference === null && (nlu.languageConfidence >= SWITCH_DETECTION || (nlu.languageConfidence >= FIRST_DETECTION && isRealSentence(input.text)))) {
      return { language: nlu.language, store: true };
    }
    if (preference !== null && nlu.language !== preference && nlu.languageConfidence >= SWITCH_DETECTION && isRealSentence(input.text)) {
      return { language: nlu.language, store: true };
    }
  }
  return { language: preference ?? clinic.defaultLanguage, store: false };
}

export async function step(session: Session, input: StepInput, ctx: EngineContext): Promise<EngineResult> {
  const m = input.message;
  const chosen = chooseLanguage(input, ctx.clinic, ctx.patient.language);
  const language = chosen.language;
  const t = ctx.tIn(language);
  const fctx: FlowContext = { clinic: ctx.clinic, patient: ctx.patient, language, t, tIn: ctx.tIn, faq: ctx.faq, handoff: ctx.handoff, scheduling: ctx.scheduling ? ctx.scheduling(language) : null, careplans: ctx.careplans ?? null };
  const out = (s: Session, outbound: OutboundMessage[], effects: Effect[]): EngineResult => ({
    session: s, outbound, language, effects: chosen.store ? [{ type: 'patient.language', language }, ...effects] : effects,
  });

  // a.
  if (nothingToAnswer(m)) return { session, outbound: [], effects: [], language };

  // b. Red flags: the NLU's (computed outside the transaction) or, without one, the detector itself.
  const typed = input.text !== null && typedByPatient(m) ? input.text : null;
  const flags = typed === null ? [] : (input.nlu?.redFlags ?? detectRedFlags(typed, language));
  if (flags.length > 0) {
    const kinds = [...new Set(flags.map((f) => f.kind))];
    return out({ ...NEW_SESSION, noticeUntil: session.noticeUntil }, ctx.emergencyReply(flags, ctx.clinic, t), [
      { type: 'handoff.open', reason: 'emergency', priority: 'emergency' },
      { type: 'alert', kind: 'emergency', codes: kinds },
    ]);
  }

  // c. STOP / START.
  const keyword = keywordDecision(m, ctx.patient.language ?? (chosen.store ? language : null));
  if (keyword) {
    return out(session, [text(keyword.reply)], [{ type: 'consent', granted: keyword.granted, source: keyword.source, language: keyword.language }]);
  }

  // d. A human has the conversation.
  if (ctx.handoff) {
    const effects: Effect[] = [{ type: 'handoff.touch' }];
    const told = session.noticeUntil !== null && new Date(session.noticeUntil) > input.now;
    if (!ctx.clinic.isOpen(input.now) && !told) {
      const next = ctx.clinic.nextOpening(input.now);
      return out({ ...session, noticeUntil: (next ?? new Date(input.now.getTime() + 12 * 3_600_000)).toISOString() }, [text(availability(fctx, input.now))], effects);
    }
    return out(session, [], effects);
  }

  // e-h.
  const r = await route(ctx.flows, session, input, fctx);
  let outbound = r.outbound;
  if (input.isNewPatient && !r.welcomed && outbound.length > 0) outbound = [text(t('common.welcomeNew', { clinic: clinicName(fctx) })), ...outbound];
  let noticeUntil = session.noticeUntil;
  if (r.effects.some((e) => e.type === 'handoff.open') && !ctx.clinic.isOpen(input.now)) {
    noticeUntil = (ctx.clinic.nextOpening(input.now) ?? new Date(input.now.getTime() + 12 * 3_600_000)).toISOString();
  }
  return out({ flow: r.flow, state: r.flow === null ? null : r.state, flowVersion: r.flowVersion, misses: r.misses, noticeUntil }, outbound, r.effects);
}

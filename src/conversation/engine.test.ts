// The engine's pure step, without I/O: the order of its rules (red flags before STOP and during a
// handoff), the handoff's silence, clarify-then-handoff, button routing over an active flow, the language
// preference, and a stored state of another flow version restarting that flow.
import { describe, expect, it } from 'vitest';
import { FLOWS } from '../flows/index.js';
import { translator } from '../flows/i18n.js';
import type { Intent, Language, NluResult, RedFlag } from '../nlu/types.js';
import type { InboundMessage } from '../whatsapp/inbound-model.js';
import { text, type OutboundMessage } from '../whatsapp/outbound.js';
import { clinicView, type ClinicFacts } from './clinic.js';
import { NEW_SESSION, step, type EngineContext, type Session } from './engine.js';
import type { FaqLookup, Flow, HandoffView, StepInput } from './flow.js';

const FACTS: ClinicFacts = {
  name: 'Centre Médical Saint-Martin', emergencyNumber: '112', crisisLine: '3114', timeZone: 'Europe/Paris',
  languages: ['en', 'fr', 'it', 'es', 'pt', 'de'], defaultLanguage: 'en', phone: null,
  hours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '08:00', end: '18:00', validFrom: null, validTo: null })),
  closures: [],
  configured: true,
};
const OPEN = new Date('2026-12-01T10:00:00Z'); // Tuesday 11:00 in Paris
const CLOSED = new Date('2026-12-01T20:00:00Z'); // Tuesday 21:00

const faq: FaqLookup = {
  async answer(topic, language) {
    return topic === 'opening_hours' ? { topic, question: 'Hours?', answer: language === 'fr' ? 'Du lundi au vendredi, 8h-18h.' : 'Monday to Friday, 8:00-18:00.', link: null } : null;
  },
  async match(t) {
    return /parking/i.test(t) ? { topic: 'location', question: 'Parking?', answer: 'Parking in rue X.', link: null, score: 0.9 } : null;
  },
  async topics() {
    return [{ topic: 'opening_hours', title: 'Opening hours' }];
  },
};

/** A flow with a counter, to see continue vs restart. */
const counter = (version: number): Flow<{ n: number }> => ({
  name: 'count', version,
  async start() { return { state: { n: 1 }, outbound: [text(`start v${version}`)], effects: [] }; },
  async step(s, input) {
    if (input.text === 'leave') return { state: null, outbound: [], effects: [], pass: true };
    return { state: { n: s.n + 1 }, outbound: [text(`n=${s.n + 1}`)], effects: [] };
  },
});

function ctx(o: { handoff?: HandoffView | null; language?: Language | null; flows?: Record<string, Flow<never> | Flow<{ n: number }>> } = {}): EngineContext {
  return {
    clinic: clinicView(FACTS),
    patient: { id: 'p1', language: o.language === undefined ? 'en' : o.language, optedOut: false },
    faq,
    handoff: o.handoff ?? null,
    tIn: (l) => translator(l, FACTS.timeZone),
    flows: { ...FLOWS, ...(o.flows as Record<string, Flow<unknown>> | undefined) },
    emergencyReply: (flags: RedFlag[], clinic) => [text(`EMERGENCY ${clinic.emergencyNumber} ${flags.map((f) => f.kind).join(',')}`)],
  };
}

const common = { id: 'wamid.1', from: '33600000001', userId: null, parentUserId: null, groupId: null, timestamp: OPEN, context: null, referral: null, errors: [] };
const said = (body: string): InboundMessage => ({ ...common, type: 'text', text: body });
const tap = (id: string, title = id): InboundMessage => ({ ...common, type: 'interactive', reply: { kind: 'button_reply', id, title, description: null } });

function nlu(intent: Intent, o: Partial<NluResult> = {}): NluResult {
  return { language: 'en', languageConfidence: 0.95, intent, confidence: intent === 'other' ? 0.2 : 0.9, alternatives: [], emergency: false, redFlags: [], entities: {}, ...o };
}

function input(message: InboundMessage, understood: NluResult | null, o: Partial<StepInput> = {}): StepInput {
  const t = message.type === 'text' ? message.text : message.type === 'interactive' && message.reply.kind === 'button_reply' ? message.reply.title : null;
  return { message, text: t, nlu: understood, now: OPEN, isNewPatient: false, ...o };
}

const bodyOf = (m: OutboundMessage | undefined): string => {
  if (!m) return '';
  if (m.type === 'text') return m.text.body;
  if (m.type === 'interactive') return m.interactive.body?.text ?? '';
  return '';
};
const idsOf = (m: OutboundMessage | undefined): string[] => {
  if (m?.type !== 'interactive') return [];
  const a = m.interactive.action as { buttons?: { reply: { id: string } }[]; sections?: { rows: { id: string }[] }[] };
  return a.buttons ? a.buttons.map((b) => b.reply.id) : (a.sections ?? []).flatMap((s) => s.rows.map((r) => r.id));
};

const chestPain: RedFlag[] = [{ kind: 'chest_pain', match: 'chest pain' }];
const handoff: HandoffView = { id: 'h1', state: 'open', priority: 'normal' };

describe('the order of the rules', () => {
  it('a red flag is answered before STOP is considered', async () => {
    const r = await step(NEW_SESSION, input(said('STOP'), nlu('opt_out', { redFlags: chestPain, emergency: true })), ctx());
    expect(bodyOf(r.outbound[0])).toBe('EMERGENCY 112 chest_pain');
    expect(r.effects).toEqual([{ type: 'handoff.open', reason: 'emergency', priority: 'emergency' }, { type: 'alert', kind: 'emergency', codes: ['chest_pain'] }]);
    expect(r.effects.some((e) => e.type === 'consent')).toBe(false);
  });

  it('a red flag is answered during a handoff, which it escalates', async () => {
    const r = await step(NEW_SESSION, input(said('my chest hurts'), nlu('symptoms', { redFlags: chestPain, emergency: true })), ctx({ handoff }));
    expect(bodyOf(r.outbound[0])).toContain('112');
    expect(r.effects[0]).toEqual({ type: 'handoff.open', reason: 'emergency', priority: 'emergency' });
  });

  it('a red flag from a first-time patient comes first, before any welcome', async () => {
    const r = await step(NEW_SESSION, input(said('douleur thoracique'), nlu('symptoms', { language: 'fr', redFlags: chestPain, emergency: true }), { isNewPatient: true }), ctx({ language: null }));
    expect(bodyOf(r.outbound[0])).toContain('112');
    expect(r.outbound).toHaveLength(1);
    expect(r.language).toBe('fr');
  });

  it('STOP is recorded (effect) and confirmed with one message, also during a handoff', async () => {
    const r = await step(NEW_SESSION, input(said('STOP'), nlu('opt_out')), ctx({ handoff }));
    expect(r.outbound).toHaveLength(1);
    expect(r.effects).toEqual([{ type: 'consent', granted: false, source: 'keyword:STOP', language: 'en' }]);
  });

  it('reactions, edits and system notices get nothing and change nothing', async () => {
    const s: Session = { ...NEW_SESSION, misses: 1 };
    const r = await step(s, input({ ...common, type: 'reaction', messageId: 'wamid.0', emoji: '👍' }, null), ctx());
    expect(r).toMatchObject({ outbound: [], effects: [], session: s });
    const e = await step(s, input({ ...common, type: 'edit', originalMessageId: 'wamid.0', editedType: 'text', text: 'chest pain' }, null), ctx());
    expect(e.outbound).toEqual([]);
  });
});

describe('a handoff', () => {
  it('keeps the bot silent while the clinic is open, and touches the handoff', async () => {
    const r = await step(NEW_SESSION, input(said('hello?'), nlu('greeting')), ctx({ handoff }));
    expect(r.outbound).toEqual([]);
    expect(r.effects).toEqual([{ type: 'handoff.touch' }]);
  });

  it('tells once, while closed, when to expect an answer', async () => {
    const first = await step(NEW_SESSION, input(said('hello?'), nlu('greeting'), { now: CLOSED }), ctx({ handoff }));
    expect(bodyOf(first.outbound[0])).toBe('We are closed at the moment. We open again on Wednesday 2 December at 08:00 and will answer you then.');
    const second = await step(first.session, input(said('anyone?'), nlu('other'), { now: new Date(CLOSED.getTime() + 60_000) }), ctx({ handoff }));
    expect(second.outbound).toEqual([]);
  });

  it('"talk to a human" opens one with the open/closed notice', async () => {
    const r = await step(NEW_SESSION, input(said('I want to talk to a person'), nlu('talk_to_human')), ctx());
    expect(r.effects).toEqual([{ type: 'handoff.open', reason: 'requested', priority: 'normal' }]);
    expect(bodyOf(r.outbound[0])).toContain('We are open now');
  });
});

describe('the router', () => {
  it('asks one clarifying question with the best guesses, then hands over on the second miss', async () => {
    const guess = nlu('other', { alternatives: [{ intent: 'opening_hours', confidence: 0.3 }, { intent: 'book_appointment', confidence: 0.2 }] });
    const first = await step(NEW_SESSION, input(said('blorp the thing'), guess), ctx());
    expect(idsOf(first.outbound[0])).toEqual(['faq:opening_hours', 'menu:book', 'handoff:human']);
    expect(first.session.misses).toBe(1);
    expect(first.effects).toEqual([]);
    const second = await step(first.session, input(said('zzz qqq'), nlu('other')), ctx());
    expect(second.effects).toEqual([{ type: 'handoff.open', reason: 'misunderstood', priority: 'normal' }]);
    expect(second.session.misses).toBe(0);
  });

  it('an understood message in between resets the misses', async () => {
    const first = await step(NEW_SESSION, input(said('blorp'), nlu('other')), ctx());
    const ok = await step(first.session, input(said('thanks'), nlu('thanks')), ctx());
    expect(ok.session.misses).toBe(0);
  });

  it('a question the FAQ matches on meaning gets its answer and "anything else?"', async () => {
    const r = await step(NEW_SESSION, input(said('where can I leave my car, any parking?'), nlu('other')), ctx());
    expect(bodyOf(r.outbound[0])).toBe('Parking in rue X.');
    expect(idsOf(r.outbound[1])).toEqual(['menu:faq', 'menu:book', 'handoff:human']);
  });

  it('routes a button to its flow even while another flow is active, which then ends', async () => {
    const active: Session = { ...NEW_SESSION, flow: 'count', state: { n: 3 }, flowVersion: 1 };
    const r = await step(active, input(tap('faq:opening_hours', 'Opening hours'), null), ctx({ flows: { count: counter(1) } }));
    expect(bodyOf(r.outbound[0])).toBe('Monday to Friday, 8:00-18:00.');
    expect(r.session.flow).toBeNull();
  });

  it('gives an active flow the text, and routes afresh when it passes', async () => {
    const active: Session = { ...NEW_SESSION, flow: 'count', state: { n: 3 }, flowVersion: 1 };
    const cont = await step(active, input(said('more'), nlu('other')), ctx({ flows: { count: counter(1) } }));
    expect(bodyOf(cont.outbound[0])).toBe('n=4');
    expect(cont.session).toMatchObject({ flow: 'count', state: { n: 4 } });
    const left = await step(cont.session, input(said('leave'), nlu('thanks')), ctx({ flows: { count: counter(1) } }));
    expect(bodyOf(left.outbound[0])).toBe(translator('en')('common.thanks'));
    expect(left.session.flow).toBeNull();
  });

  it('restarts a flow whose stored state has another version', async () => {
    const stored: Session = { ...NEW_SESSION, flow: 'count', state: { n: 7 }, flowVersion: 1 };
    const r = await step(stored, input(said('more'), nlu('other')), ctx({ flows: { count: counter(2) } }));
    expect(bodyOf(r.outbound[0])).toBe('start v2');
    expect(r.session).toMatchObject({ flow: 'count', state: { n: 1 }, flowVersion: 2 });
  });

  it('without a clinic to book with, a booking intent says reception arranges it here and opens a handoff', async () => {
    const r = await step(NEW_SESSION, input(said('can I book for tomorrow?'), nlu('book_appointment')), ctx());
    expect(bodyOf(r.outbound[0])).toContain(translator('en')('booking.handoffBook'));
    expect(r.effects).toEqual([{ type: 'handoff.open', reason: 'requested', priority: 'normal' }]);
  });

  it('opt-out in a sentence asks to confirm; the button records it through the consent effect', async () => {
    const ask = await step(NEW_SESSION, input(said('please stop sending me messages'), nlu('opt_out')), ctx());
    expect(idsOf(ask.outbound[0])).toEqual(['consent:optout', 'consent:keep']);
    expect(ask.effects).toEqual([]);
    const yes = await step(ask.session, input(tap('consent:optout', 'Yes, stop messages'), null), ctx());
    expect(yes.effects).toEqual([{ type: 'consent', granted: false, source: 'chat:confirm', language: 'en' }]);
  });

  it('media without words is acknowledged', async () => {
    const r = await step(NEW_SESSION, input({ ...common, type: 'image', media: { id: 'M1', mimeType: 'image/jpeg', sha256: null, caption: null, filename: null, url: null, animated: null, voice: null } } as InboundMessage, null), ctx());
    expect(bodyOf(r.outbound[0])).toBe(translator('en')('common.mediaReceived'));
  });
});

describe('language', () => {
  it('"langue" lists the languages; a choice is stored and confirmed in it', async () => {
    const list = await step(NEW_SESSION, input(said('Langue'), nlu('other', { language: 'fr' })), ctx({ language: 'fr' }));
    expect(idsOf(list.outbound[0])).toEqual(['lang:en', 'lang:fr', 'lang:it', 'lang:es', 'lang:pt', 'lang:de']);
    const chosen = await step(list.session, input(tap('lang:de', 'Deutsch'), null), ctx({ language: 'fr' }));
    expect(chosen.effects).toEqual([{ type: 'patient.language', language: 'de' }]);
    expect(bodyOf(chosen.outbound[0])).toBe('Gut, ich schreibe Ihnen ab jetzt auf Deutsch.');
  });

  it('a first-time patient is answered in the detected language, with the welcome', async () => {
    const r = await step(NEW_SESSION, input(said('Bonjour'), nlu('greeting', { language: 'fr', languageConfidence: 0.9 }), { isNewPatient: true }), ctx({ language: null }));
    expect(r.language).toBe('fr');
    expect(r.effects).toContainEqual({ type: 'patient.language', language: 'fr' });
    expect(bodyOf(r.outbound[0])).toMatch(/^Centre Médical Saint-Martin : bonjour et bienvenue/);
    expect(r.outbound).toHaveLength(1);
  });

  it('a first-time patient with another question gets the welcome first, then the answer', async () => {
    const r = await step(NEW_SESSION, input(said('¿A qué hora abren?'), nlu('opening_hours', { language: 'es' }), { isNewPatient: true }), ctx({ language: null }));
    expect(bodyOf(r.outbound[0])).toBe('Centre Médical Saint-Martin: ¡hola y bienvenido/a!');
  });

  it('a one-word first message detected without confidence gets the clinic\'s default language', async () => {
    const r = await step(NEW_SESSION, input(said('hi'), nlu('greeting', { language: 'de', languageConfidence: 0.62 }), { isNewPatient: true }), ctx({ language: null }));
    expect(r.language).toBe('en');
    expect(r.effects).toEqual([]);
  });

  it('"ok" does not change the preference; a confident real sentence does', async () => {
    const ok = await step(NEW_SESSION, input(said('ok'), nlu('thanks', { language: 'de', languageConfidence: 0.9 })), ctx({ language: 'fr' }));
    expect(ok.language).toBe('fr');
    expect(ok.effects).toEqual([]);
    const real = await step(NEW_SESSION, input(said('Vielen Dank für die schnelle Antwort'), nlu('thanks', { language: 'de', languageConfidence: 0.95 })), ctx({ language: 'fr' }));
    expect(real.language).toBe('de');
    expect(real.effects).toEqual([{ type: 'patient.language', language: 'de' }]);
  });
});

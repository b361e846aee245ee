// The symptom triage flow ('triage', button ids `triage:*`): what is bothering the patient, two to four
// follow-up questions (since when, how bad, fever, age group), then an urgency from rules.yaml — call the
// emergency number now, see a doctor today, or a normal appointment — with the matching service, an offer
// to book (`booking:start:<service>`) or talk to staff (`handoff:human`), and always the sentence that this
// is not a diagnosis. Pure: no I/O; the engine applies the returned effects.
import type { Effect, Flow, FlowContext, StepInput, StepResult, Translate } from '../../conversation/flow.js';
import { list, replyButtons, text, type OutboundMessage } from '../../whatsapp/outbound.js';
import { ANSWERS, decide, nextQuestion, withImplied, type Answers, type Group, type Question, type ServiceCode } from './rules.js';
import { answerOf, answersIn, groupOf } from './understand.js';

export { decide, nextQuestion, TRIAGE_RULES, parseTriageRules, type Answers, type Group, type Question, type Urgency } from './rules.js';

export interface TriageState {
  /** What was asked last: the list of groups (its first or second page) or a question. */
  stage: 'group' | 'more' | 'question';
  group: Group | null;
  answers: Answers;
  question: Question | null;
  /** The last question was already asked again once after an answer we did not understand. */
  retried: boolean;
}

/** A patient message with another intent at least this sure leaves the flow. */
export const CHANGE_OF_SUBJECT_CONFIDENCE = 0.8;

const FIRST_PAGE: Group[] = ['fever', 'cough', 'throat', 'headache', 'abdomen', 'back', 'skin', 'urinary', 'ear'];
const SECOND_PAGE: Group[] = ['vomiting', 'injury', 'mood', 'other'];
const ID_OF: Record<Question, string> = { since: 'since', severity: 'sev', fever: 'fever', age: 'age' };
const QUESTION_OF: Record<string, Question> = { since: 'since', sev: 'severity', fever: 'fever', age: 'age' };
const SERVICE_KEY: Record<ServiceCode, string> = {
  'general-consultation': 'triage.serviceGeneral',
  dermatology: 'triage.serviceDermatology',
  'follow-up': 'triage.serviceFollowUp',
  'blood-test': 'triage.serviceBloodTest',
};
const BUTTON_KEYS: Record<Exclude<Question, 'age'>, Record<string, string>> = {
  since: { today: 'triage.sinceTodayButton', days: 'triage.sinceDaysButton', weeks: 'triage.sinceWeeksButton' },
  severity: { '1': 'triage.severityMildButton', '2': 'triage.severityModerateButton', '3': 'triage.severitySevereButton' },
  fever: { yes: 'triage.feverYesButton', no: 'triage.feverNoButton', unsure: 'triage.feverUnsureButton' },
};
const AGE_ROWS: Record<string, string> = { infant: 'triage.ageInfantRow', child: 'triage.ageChildRow', adult: 'triage.ageAdultRow', senior: 'triage.ageSeniorRow' };

const groupRow = (g: Group, t: Translate) => ({ id: `triage:group:${g}`, title: t(`triage.${g}Row`) });
const withRetry = (body: string, t: Translate, retry: boolean): string => (retry ? `${t('triage.retry')}\n\n${body}` : body);

function askGroup(t: Translate, retry: boolean): OutboundMessage {
  return list({
    body: withRetry(t('triage.askGroupBody'), t, retry),
    button: t('triage.groupButton'),
    sections: [{ rows: [...FIRST_PAGE.map((g) => groupRow(g, t)), { id: 'triage:more', title: t('triage.moreRow') }] }],
  });
}

function askMore(t: Translate, retry: boolean): OutboundMessage {
  return list({ body: withRetry(t('triage.moreBody'), t, retry), button: t('triage.groupButton'), sections: [{ rows: SECOND_PAGE.map((g) => groupRow(g, t)) }] });
}

function askQuestion(q: Question, t: Translate, retry: boolean): OutboundMessage {
  if (q === 'age') {
    return list({
      body: withRetry(t('triage.ageBody'), t, retry),
      button: t('triage.ageButton'),
      sections: [{ rows: ANSWERS.age.map((v) => ({ id: `triage:age:${v}`, title: t(AGE_ROWS[v]!) })) }],
    });
  }
  return replyButtons({
    body: withRetry(t(`triage.${q}Body`), t, retry),
    buttons: ANSWERS[q].map((v) => ({ id: `triage:${ID_OF[q]}:${v}`, title: t(BUTTON_KEYS[q][v]!) })),
  });
}

function result(group: Group, answers: Answers, ctx: FlowContext): StepResult<TriageState> {
  const { t } = ctx;
  const number = ctx.clinic.emergencyNumber;
  const { urgency, service } = decide(group, answers);
  const notDiagnosis = t('triage.notDiagnosis');
  const mood = group === 'mood' ? [t('triage.moodSafety', { number })] : [];
  if (urgency === 'emergency') {
    const effects: Effect[] = [
      { type: 'alert', kind: 'emergency', codes: ['triage'] },
      { type: 'handoff.open', reason: 'triage', priority: 'emergency' },
    ];
    return { state: null, outbound: [text([t('triage.resultEmergency', { number }), ...mood, notDiagnosis].join('\n\n'))], effects };
  }
  const serviceName = t(SERVICE_KEY[service]);
  const key = urgency === 'today' ? 'triage.resultTodayBody' : 'triage.resultRoutineBody';
  const offer = replyButtons({
    body: [t(key, { service: serviceName, number }), ...mood, notDiagnosis].join('\n\n'),
    buttons: [
      { id: `booking:start:${service}`, title: t('triage.bookButton') },
      { id: 'handoff:human', title: t('triage.staffButton') },
    ],
  });
  return { state: null, outbound: [offer], effects: [] };
}

/** The next question, or the result when every question of the group is answered. */
function advance(group: Group, answers: Answers, ctx: FlowContext): StepResult<TriageState> {
  const q = nextQuestion(group, answers);
  if (q === null) return result(group, answers, ctx);
  return { state: { stage: 'question', group, answers, question: q, retried: false }, outbound: [askQuestion(q, ctx.t, false)], effects: [] };
}

/** The id of a tapped button or list row, if the input is one. */
function tappedId(input: StepInput): string | null {
  const m = input.message;
  if (m.type === 'interactive' && (m.reply.kind === 'button_reply' || m.reply.kind === 'list_reply')) return m.reply.id;
  if (m.type === 'button') return m.payload;
  return null;
}

const PASS: StepResult<TriageState> = { state: null, outbound: [], effects: [], pass: true };

function otherSubject(input: StepInput): boolean {
  const nlu = input.nlu;
  return nlu !== null && nlu.intent !== 'symptoms' && nlu.intent !== 'other' && nlu.confidence >= CHANGE_OF_SUBJECT_CONFIDENCE;
}

/** An answer we did not understand: a change of subject passes; otherwise the same question once more, then pass. */
function notUnderstood(state: TriageState, input: StepInput, ctx: FlowContext): StepResult<TriageState> {
  if (otherSubject(input) || state.retried) return PASS;
  const { t } = ctx;
  const message =
    state.stage === 'question' && state.question !== null ? askQuestion(state.question, t, true) : state.stage === 'more' ? askMore(t, true) : askGroup(t, true);
  return { state: { ...state, retried: true }, outbound: [message], effects: [] };
}

function isGroup(v: string): v is Group {
  return (FIRST_PAGE as string[]).includes(v) || (SECOND_PAGE as string[]).includes(v);
}

const INITIAL: TriageState = { stage: 'group', group: null, answers: {}, question: null, retried: false };

export const triageFlow: Flow<TriageState> = {
  name: 'triage',
  version: 1,

  async start(input, ctx) {
    if (tappedId(input)?.startsWith('triage:')) return triageFlow.step(INITIAL, input, ctx);
    const words = input.text ?? '';
    const group = groupOf(words);
    if (group !== null) return advance(group, answersIn(words), ctx);
    return { state: INITIAL, outbound: [askGroup(ctx.t, false)], effects: [] };
  },

  async step(state, input, ctx) {
    const id = tappedId(input);
    if (id !== null) {
      if (!id.startsWith('triage:')) return PASS;
      const [, what, value] = id.split(':');
      if (what === 'more') return { state: { ...state, stage: 'more', retried: false }, outbound: [askMore(ctx.t, false)], effects: [] };
      if (what === 'group' && value !== undefined && isGroup(value)) return advance(value, state.answers, ctx);
      const q = what === undefined ? undefined : QUESTION_OF[what];
      if (q !== undefined && state.group !== null && value !== undefined && (ANSWERS[q] as readonly string[]).includes(value)) {
        return advance(state.group, { ...state.answers, [q]: value }, ctx);
      }
      return notUnderstood(state, input, ctx);
    }
    const words = input.text;
    if (words === null || words.trim() === '') return notUnderstood(state, input, ctx);
    if (state.stage !== 'question' || state.group === null || state.question === null) {
      const group = groupOf(words);
      if (group !== null && !otherSubject(input)) return advance(group, { ...answersIn(words), ...state.answers }, ctx);
      return notUnderstood(state, input, ctx);
    }
    const answer = answerOf(state.question, words);
    if (answer === null) return notUnderstood(state, input, ctx);
    return advance(state.group, withImplied(state.group, { ...state.answers, [state.question]: answer }), ctx);
  },
};

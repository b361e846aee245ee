// The triage flow without I/O: paths to each urgency in en, fr and es, free-text answers, a change of
// subject, the catalogue in all six languages, and the rules file's validation.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../conversation/flow.js';
import { LANGUAGES, type Language } from '../../nlu/types.js';
import { assertWithinLimits, type OutboundMessage } from '../../whatsapp/outbound.js';
import { TRIAGE_RULES, parseTriageRules, triageFlow, type TriageState } from './index.js';
import { TRIAGE_RULES_FILE, decide } from './rules.js';
import { CATALOGUES, flowContext, tapInput, textInput } from './testing.js';
import { answerOf, answersIn, groupOf } from './understand.js';

const bodyOf = (m: OutboundMessage): string => (m.type === 'text' ? m.text.body : m.type === 'interactive' ? m.interactive.body.text : '');
function ids(m: OutboundMessage): string[] {
  if (m.type !== 'interactive') return [];
  if (m.interactive.type === 'button') return m.interactive.action.buttons.map((b) => b.reply.id);
  if (m.interactive.type === 'list') return m.interactive.action.sections.flatMap((s) => s.rows.map((r) => r.id));
  return [];
}
function checkLimits(r: StepResult<TriageState>): StepResult<TriageState> {
  for (const m of r.outbound) expect(() => assertWithinLimits(m)).not.toThrow();
  return r;
}

/** Runs a conversation: the first input starts the flow, each next one steps it. */
async function run(language: Language, inputs: ReturnType<typeof textInput>[]): Promise<StepResult<TriageState>[]> {
  const ctx = flowContext(language);
  const results: StepResult<TriageState>[] = [];
  let state: TriageState | null = null;
  for (const [i, input] of inputs.entries()) {
    const r: StepResult<TriageState> = checkLimits(i === 0 ? await triageFlow.start(input, ctx) : await triageFlow.step(state!, input, ctx));
    results.push(r);
    state = r.state;
  }
  return results;
}

const notDiagnosis = (l: Language) => CATALOGUES[l]['triage']!['notDiagnosis']!;

describe.each(['en', 'fr', 'es'] as const)('triage in %s', (language) => {
  it('no symptom named: asks what is bothering them as a list, with a second page', async () => {
    const [first, more] = await run(language, [textInput('?'), tapInput('triage:more')]);
    expect(first!.outbound[0]!.type).toBe('interactive');
    expect(ids(first!.outbound[0]!)).toContain('triage:group:fever');
    expect(ids(first!.outbound[0]!)).toContain('triage:more');
    expect(ids(more!.outbound[0]!)).toEqual(['triage:group:vomiting', 'triage:group:injury', 'triage:group:mood', 'triage:group:other']);
  });

  it('routine: a cough for a few days, mild, no fever, an adult', async () => {
    const results = await run(language, [
      tapInput('triage:group:cough', 'x', 'list_reply'),
      tapInput('triage:since:days'),
      tapInput('triage:sev:1'),
      tapInput('triage:fever:no'),
      tapInput('triage:age:adult', 'x', 'list_reply'),
    ]);
    expect(ids(results[0]!.outbound[0]!)).toEqual(['triage:since:today', 'triage:since:days', 'triage:since:weeks']);
    expect(ids(results[1]!.outbound[0]!)).toEqual(['triage:sev:1', 'triage:sev:2', 'triage:sev:3']);
    expect(ids(results[3]!.outbound[0]!)).toEqual(['triage:age:infant', 'triage:age:child', 'triage:age:adult', 'triage:age:senior']);
    const last = results[4]!;
    expect(last.state).toBeNull();
    expect(last.effects).toEqual([]);
    expect(ids(last.outbound[0]!)).toEqual(['booking:start:general-consultation', 'handoff:human']);
    expect(bodyOf(last.outbound[0]!)).toContain(CATALOGUES[language]['triage']!['serviceGeneral']!);
    expect(bodyOf(last.outbound[0]!)).toContain(notDiagnosis(language));
  });

  it('today: a severe skin rash is offered dermatology', async () => {
    const results = await run(language, [tapInput('triage:group:skin'), tapInput('triage:since:today'), tapInput('triage:sev:3'), tapInput('triage:fever:no')]);
    const last = results.at(-1)!;
    expect(last.effects).toEqual([]);
    expect(ids(last.outbound[0]!)).toEqual(['booking:start:dermatology', 'handoff:human']);
    const body = bodyOf(last.outbound[0]!);
    expect(body).toContain(CATALOGUES[language]['triage']!['resultTodayBody']!.split('{{')[0]!.slice(0, 20));
    expect(body).toContain(notDiagnosis(language));
  });

  it('emergency: fever in a baby under 3 months alerts staff and opens an emergency handoff', async () => {
    const results = await run(language, [tapInput('triage:group:fever'), tapInput('triage:since:today'), tapInput('triage:sev:2'), tapInput('triage:age:infant')]);
    const last = results.at(-1)!;
    expect(last.state).toBeNull();
    expect(last.outbound).toHaveLength(1);
    expect(last.outbound[0]!.type).toBe('text');
    expect(bodyOf(last.outbound[0]!)).toContain('112');
    expect(bodyOf(last.outbound[0]!)).toContain(notDiagnosis(language));
    expect(last.effects).toEqual([
      { type: 'alert', kind: 'emergency', codes: ['triage'] },
      { type: 'handoff.open', reason: 'triage', priority: 'emergency' },
    ]);
  });

  it('an unexpected answer is asked again once, then the flow passes', async () => {
    const results = await run(language, [tapInput('triage:group:back'), textInput('🙂'), textInput('🙃')]);
    expect(bodyOf(results[1]!.outbound[0]!)).toContain(CATALOGUES[language]['triage']!['retry']!);
    expect(ids(results[1]!.outbound[0]!)).toEqual(['triage:since:today', 'triage:since:days', 'triage:since:weeks']);
    expect(results[2]!).toMatchObject({ pass: true, outbound: [] });
  });

  it('a change of subject passes at once', async () => {
    const results = await run(language, [tapInput('triage:group:ear'), textInput('xyz', { intent: 'opening_hours', confidence: 0.95 })]);
    expect(results[1]!).toMatchObject({ pass: true, state: null, outbound: [] });
    const other = await run(language, [tapInput('triage:group:ear'), tapInput('menu:book')]);
    expect(other[1]!.pass).toBe(true);
  });
});

describe('free text', () => {
  it('en: "I have had a fever for 3 days" starts at the right group and skips what it answers', async () => {
    const [first] = await run('en', [textInput('I have had a fever for 3 days', { intent: 'symptoms' })]);
    // fever: since answered (3 days), fever implied → severity next.
    expect(ids(first!.outbound[0]!)).toEqual(['triage:sev:1', 'triage:sev:2', 'triage:sev:3']);
    expect(first!.state).toMatchObject({ group: 'fever', answers: { since: 'days' }, question: 'severity' });
  });

  it('fr: answers written out ("depuis hier", "très fort", "38,5", "mon fils de 5 ans")', async () => {
    const results = await run('fr', [
      textInput("j'ai mal au ventre"),
      textInput('depuis hier'),
      textInput('très fort'),
      textInput('38,5'),
      textInput('mon fils de 5 ans'),
    ]);
    expect(results[0]!.state).toMatchObject({ group: 'abdomen', question: 'since' });
    expect(results[1]!.state).toMatchObject({ answers: { since: 'days' } });
    expect(results[2]!.state).toMatchObject({ answers: { severity: '3' } });
    expect(results[3]!.state).toMatchObject({ answers: { fever: 'yes' } });
    const last = results[4]!;
    expect(ids(last.outbound[0]!)).toEqual(['booking:start:general-consultation', 'handoff:human']);
    expect(bodyOf(last.outbound[0]!)).toContain('aujourd');
  });

  it('es: "tengo tos", "desde hace 2 semanas", "leve", "no", "yo" → routine', async () => {
    const results = await run('es', [textInput('tengo tos'), textInput('desde hace 2 semanas'), textInput('leve'), textInput('no'), textInput('yo')]);
    const last = results.at(-1)!;
    expect(last.state).toBeNull();
    expect(bodyOf(last.outbound[0]!)).toContain(CATALOGUES.es['triage']!['resultRoutineBody']!.slice(0, 25));
  });

  it('en: "my 6 week old has a fever" knows the age from the first message: emergency', async () => {
    const results = await run('en', [textInput('my 6 week old has a fever'), tapInput('triage:since:today'), tapInput('triage:sev:1')]);
    expect(results[0]!.state).toMatchObject({ group: 'fever', answers: { age: 'infant' } });
    expect(results.at(-1)!.effects.map((e) => e.type)).toEqual(['alert', 'handoff.open']);
  });

  it('understands simple answers in every language', () => {
    expect(groupOf('Halsschmerzen seit gestern')).toBe('throat');
    expect(groupOf('mal di schiena')).toBe('back');
    expect(groupOf('ardor ao urinar')).toBe('urinary');
    expect(answerOf('since', 'seit 3 Tagen')).toBe('days');
    expect(answerOf('since', 'da stamattina')).toBe('today');
    expect(answerOf('since', 'há 2 meses')).toBe('weeks');
    expect(answerOf('severity', 'not too bad')).toBe('1');
    expect(answerOf('severity', '8/10')).toBe('3');
    expect(answerOf('fever', '37.2')).toBe('no');
    expect(answerOf('fever', 'sim')).toBe('yes');
    expect(answerOf('age', '70 years')).toBe('senior');
    expect(answerOf('age', '2 mois')).toBe('infant');
    expect(answerOf('age', 'banana')).toBeNull();
    expect(answersIn('bébé de 2 mois avec de la fièvre')).toMatchObject({ age: 'infant' });
  });
});

describe('the rules', () => {
  it('decide: the first matching rule wins, the last is the default', () => {
    expect(decide('fever', { age: 'infant' }).urgency).toBe('emergency');
    expect(decide('cough', { fever: 'yes', age: 'senior', severity: '1' }).urgency).toBe('today');
    expect(decide('back', { since: 'weeks', severity: '2', age: 'adult' }).urgency).toBe('routine');
    expect(decide('skin', { severity: '1' }).service).toBe('dermatology');
  });

  it('every group asks 2 to 4 questions and offers a known service', () => {
    for (const g of Object.values(TRIAGE_RULES.groups)) {
      expect(g.ask.length).toBeGreaterThanOrEqual(2);
      expect(g.ask.length).toBeLessThanOrEqual(4);
    }
  });

  it('a broken rules file fails with the field named', () => {
    const good = fs.readFileSync(TRIAGE_RULES_FILE, 'utf8');
    expect(() => parseTriageRules(good.replace('service: dermatology', 'service: surgery'))).toThrow(/triage rules: groups\.skin\.service/);
    expect(() => parseTriageRules(good.replace('  - urgency: routine\n', ''))).toThrow(/last rule must have no `when`/);
    expect(() => parseTriageRules('groups: [')).toThrow(/not valid YAML/);
  });
});

describe('catalogue', () => {
  it('every triage key exists in all six languages and every button and row fits', async () => {
    const keys = Object.keys(CATALOGUES.en['triage']!).sort();
    for (const language of LANGUAGES) expect(Object.keys(CATALOGUES[language]['triage']!).sort()).toEqual(keys);
    // Every message the flow can send, in every language, passes the Cloud API limits.
    for (const language of LANGUAGES) {
      const ctx = flowContext(language);
      const first = await triageFlow.start(textInput('?'), ctx);
      const more = await triageFlow.step(first.state!, tapInput('triage:more'), ctx);
      for (const m of [...first.outbound, ...more.outbound]) {
        expect(() => assertWithinLimits(m)).not.toThrow();
        expect(bodyOf(m)).not.toMatch(/triage\.[a-z]/i);
      }
      for (const group of ['cough', 'mood', 'fever', 'skin'] as const) {
        let r = await triageFlow.start(tapInput(`triage:group:${group}`), ctx);
        while (r.state !== null) {
          for (const m of r.outbound) expect(() => assertWithinLimits(m)).not.toThrow();
          const next = ids(r.outbound[0]!).at(-1)!;
          r = await triageFlow.step(r.state, tapInput(next), ctx);
        }
        expect(bodyOf(r.outbound[0]!)).toContain(CATALOGUES[language]['triage']!['notDiagnosis']!);
      }
    }
  });
});

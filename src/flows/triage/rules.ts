// The triage rules (rules.yaml), validated with zod when the module loads: a broken file stops start-up.
// Also the pure decision: answers → urgency and service.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { LANGUAGES } from '../../nlu/types.js';

export const GROUPS = ['fever', 'cough', 'throat', 'headache', 'abdomen', 'back', 'skin', 'urinary', 'ear', 'vomiting', 'injury', 'mood', 'other'] as const;
export type Group = (typeof GROUPS)[number];
export const QUESTIONS = ['since', 'severity', 'fever', 'age'] as const;
export type Question = (typeof QUESTIONS)[number];
export const ANSWERS = {
  since: ['today', 'days', 'weeks'],
  severity: ['1', '2', '3'],
  fever: ['yes', 'no', 'unsure'],
  age: ['infant', 'child', 'adult', 'senior'],
} as const satisfies Record<Question, readonly string[]>;
export type Answers = { [Q in Question]?: (typeof ANSWERS)[Q][number] };
export const SERVICES = ['general-consultation', 'dermatology', 'follow-up', 'blood-test'] as const;
export type ServiceCode = (typeof SERVICES)[number];
export type Urgency = 'emergency' | 'today' | 'routine';

const words = z.array(z.string().trim().min(1));
const perLanguage = z.strictObject(Object.fromEntries(LANGUAGES.map((l) => [l, words])) as Record<(typeof LANGUAGES)[number], typeof words>);
const answerValues = <Q extends Question>(q: Q) => z.enum(ANSWERS[q] as unknown as [string, ...string[]]);

const groupSchema = z.strictObject({
  service: z.enum(SERVICES),
  implies: z.strictObject({ fever: answerValues('fever').optional() }).default({}),
  ask: z.array(z.enum(QUESTIONS)).min(2).max(4),
  words: perLanguage,
});

const whenSchema = z.strictObject({
  group: z.array(z.enum(GROUPS)).min(1).optional(),
  since: z.array(answerValues('since')).min(1).optional(),
  severity: z.array(answerValues('severity')).min(1).optional(),
  fever: z.array(answerValues('fever')).min(1).optional(),
  age: z.array(answerValues('age')).min(1).optional(),
});

export const triageRulesSchema = z
  .strictObject({
    groups: z.strictObject(Object.fromEntries(GROUPS.map((g) => [g, groupSchema])) as Record<Group, typeof groupSchema>),
    questions: z.strictObject({
      since: z.strictObject({ values: z.strictObject({ today: perLanguage, days: perLanguage, weeks: perLanguage }) }),
      severity: z.strictObject({ values: z.strictObject({ '1': perLanguage, '2': perLanguage, '3': perLanguage }) }),
      fever: z.strictObject({ values: z.strictObject({ yes: perLanguage, no: perLanguage, unsure: perLanguage }) }),
      age: z.strictObject({ values: z.strictObject({ infant: perLanguage, child: perLanguage, adult: perLanguage, senior: perLanguage }) }),
    }),
    rules: z.array(z.strictObject({ when: whenSchema.optional(), urgency: z.enum(['emergency', 'today', 'routine']) })).min(1),
  })
  .superRefine((r, ctx) => {
    const last = r.rules[r.rules.length - 1]!;
    if (last.when !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', r.rules.length - 1], message: 'the last rule must have no `when` (the default)' });
    r.rules.slice(0, -1).forEach((rule, i) => {
      if (rule.when === undefined) ctx.addIssue({ code: 'custom', path: ['rules', i], message: 'only the last rule may have no `when`' });
    });
  });
export type TriageRules = z.infer<typeof triageRulesSchema>;

export class TriageRulesError extends Error {
  constructor(message: string) {
    super(`triage rules: ${message}`);
    this.name = 'TriageRulesError';
  }
}

export function parseTriageRules(yamlText: string): TriageRules {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (e) {
    throw new TriageRulesError(`not valid YAML: ${(e as Error).message}`);
  }
  const parsed = triageRulesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TriageRulesError(`${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  return parsed.data;
}

// The same path from src/flows/triage and dist/flows/triage: the YAML stays in src.
const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TRIAGE_RULES_FILE = path.join(PROJECT, 'src', 'flows', 'triage', 'rules.yaml');
export const TRIAGE_RULES: TriageRules = parseTriageRules(fs.readFileSync(TRIAGE_RULES_FILE, 'utf8'));

/** The answers a group already gives, merged under what the patient said. */
export function withImplied(group: Group, answers: Answers, rules: TriageRules = TRIAGE_RULES): Answers {
  return { ...rules.groups[group].implies, ...answers } as Answers;
}

/** The next question of the group that has no answer yet, or null when all are answered. */
export function nextQuestion(group: Group, answers: Answers, rules: TriageRules = TRIAGE_RULES): Question | null {
  const full = withImplied(group, answers, rules);
  return rules.groups[group].ask.find((q) => full[q] === undefined) ?? null;
}

/** The urgency of the first rule that matches, and the group's service. */
export function decide(group: Group, answers: Answers, rules: TriageRules = TRIAGE_RULES): { urgency: Urgency; service: ServiceCode } {
  const full = withImplied(group, answers, rules);
  const rule = rules.rules.find((r) => {
    const when = r.when;
    if (when === undefined) return true;
    if (when.group !== undefined && !when.group.includes(group)) return false;
    return QUESTIONS.every((q) => {
      const allowed = when[q] as readonly string[] | undefined;
      if (allowed === undefined) return true;
      const given = full[q];
      return given !== undefined && allowed.includes(given);
    });
  });
  return { urgency: rule!.urgency, service: rules.groups[group].service };
}

// Every template definition in every language against what Meta accepts at creation (the sandbox's
// templateCreateSchema and validateTemplateCreate, plus the review rules that trip real submissions) and
// against the send: the message built for it fills the template exactly.
import { describe, expect, it } from 'vitest';
import { ONE_TIME_CODE_LANGUAGES, ONE_TIME_CODE_TEMPLATE } from '../compliance/index.js';
import { LANGUAGES } from '../nlu/types.js';
import { ONE_TIME_CODE, renderTemplate, templateCreateSchema, validateTemplateCreate, type StoredComponent } from '../sandbox/templates.js';
import { templateSchema } from '../sandbox/validate.js';
import { definitionHash } from './template-sync.js';
import { creationRequest, META_LANGUAGE, templateMessage, TEMPLATES, type TemplateDefinition } from './templates.js';

const DEFS: readonly TemplateDefinition[] = Object.values(TEMPLATES);
const chars = (s: string) => [...s].length;
const variablesOf = (s: string) => [...s.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1] ?? '');
const cases = DEFS.flatMap((def) => LANGUAGES.map((language) => [`${def.name} (${language})`, def, language] as const));

describe('template definitions', () => {
  it('cover the templates issue 15 names, with unique versioned names', () => {
    expect(Object.keys(TEMPLATES).sort()).toEqual(['appointmentConfirmation', 'appointmentReminder', 'followUp', 'medicationReminder', 'oneTimeCode', 'rescheduleOffer', 'resultsReady', 'survey', 'vitalsPrompt']);
    const names = DEFS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n, n).toMatch(/^[a-z0-9_]{1,512}$/);
    for (const d of DEFS.filter((x) => x.category !== 'AUTHENTICATION')) expect(d.name, d.name).toMatch(/_v\d+$/);
  });

  it.each(cases)('%s: Meta accepts the creation request', (_label, def, language) => {
    const req = creationRequest(def, language);
    expect(templateCreateSchema.safeParse(req).success).toBe(true);
    const v = validateTemplateCreate(req);
    expect(v.ok ? 'ok' : v.details).toBe('ok');
    expect(req).toMatchObject({ name: def.name, language: META_LANGUAGE[language], category: def.category });
  });

  it.each(cases.filter(([, d]) => d.category !== 'AUTHENTICATION'))('%s: body, variables, examples and buttons follow Meta\'s review rules', (_label, def, language) => {
    const body = def.body[language];
    expect(body.trim()).toBe(body);
    expect(chars(body)).toBeLessThanOrEqual(1024);
    expect(body).not.toMatch(/[\n\t]| {5,}/);
    // Variables numbered {{1}}..{{n}} in order of first appearance, one per definition variable.
    const used = variablesOf(body);
    expect(used.every((v) => /^\d+$/.test(v))).toBe(true);
    expect([...new Set(used)]).toEqual(def.variables.map((_v, i) => String(i + 1)));
    // Not at the very start or end of the body, never two side by side.
    expect(body).not.toMatch(/^\{\{/);
    expect(body).not.toMatch(/\}\}$/);
    expect(body).not.toMatch(/\}\}\s*\{\{/);
    const req = creationRequest(def, language);
    const bodyComponent = (req['components'] as { type: string; example?: { body_text: string[][] } }[]).find((c) => c.type === 'BODY');
    expect(bodyComponent?.example?.body_text[0]).toHaveLength(def.variables.length);
    for (const v of def.variables) {
      const ex = v.example[language];
      expect(ex.trim(), `${v.key} example`).not.toBe('');
      expect(ex).not.toMatch(/[\n\t]|\{\{/);
    }
    // Quick replies: 0 to 3 here (the vitals prompt's answer is the reading itself), text 1 to 25 characters,
    // unique texts and actions, payload-safe actions.
    expect(def.buttons.length).toBeGreaterThanOrEqual(def.name === 'pl_vitals_prompt_v1' ? 0 : 1);
    expect(def.buttons.length).toBeLessThanOrEqual(3);
    const texts = def.buttons.map((b) => b.text[language]);
    for (const t of texts) expect(chars(t), t).toBeGreaterThan(0);
    for (const t of texts) expect(chars(t), t).toBeLessThanOrEqual(25);
    expect(new Set(texts).size).toBe(texts.length);
    const actions = def.buttons.map((b) => b.action);
    expect(new Set(actions).size).toBe(actions.length);
    for (const a of actions) expect(a).toMatch(/^[a-z][a-z_]*$/);
  });

  it.each(cases.filter(([, d]) => d.category !== 'AUTHENTICATION'))('%s: the send fills the template exactly, buttons carrying action:subject', (_label, def, language) => {
    const req = creationRequest(def, language);
    const values = Object.fromEntries(def.variables.map((v) => [v.key, v.example[language]]));
    const msg = templateMessage(def, language, values, 'appt-42');
    const send = templateSchema.parse(msg.template);
    const stored = { name: def.name, language: META_LANGUAGE[language], parameterFormat: null, components: req['components'] as StoredComponent[] };
    const r = renderTemplate(stored, send);
    if (!r.ok) throw new Error(r.details);
    for (const v of def.variables) expect(r.rendered.body).toContain(v.example[language]);
    expect(r.rendered.body).not.toMatch(/\{\{/);
    expect(r.rendered.buttons.map((b) => (b.kind === 'quick_reply' ? b.payload : null))).toEqual(def.buttons.map((b) => `${b.action}:appt-42`));
  });

  it('makes the one-time code Meta\'s fixed authentication format, as verification sends it and the sandbox stores it', () => {
    const def: TemplateDefinition = TEMPLATES.oneTimeCode;
    expect(def.name).toBe(ONE_TIME_CODE_TEMPLATE);
    expect(def.category).toBe('AUTHENTICATION');
    for (const language of LANGUAGES) {
      expect(META_LANGUAGE[language]).toBe(ONE_TIME_CODE_LANGUAGES[language]);
      const req = creationRequest(def, language);
      // No text, no example: Meta writes the body and the footer itself.
      expect(req['components']).toEqual([
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: def.buttons[0]!.text[language] }] },
      ]);
      const seeded = ONE_TIME_CODE.find((t) => t.language === META_LANGUAGE[language]);
      expect(seeded?.components[0]?.text).toBe(def.body[language]);
      const msg = templateMessage(def, language, { code: '482913' }, 'unused');
      expect(msg.template.components).toEqual([
        { type: 'body', parameters: [{ type: 'text', text: '482913' }] },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
      ]);
    }
  });

  it('hashes the creation request: stable, and different per language and per text', () => {
    const def = TEMPLATES.appointmentReminder;
    expect(definitionHash(def, 'fr')).toBe(definitionHash(def, 'fr'));
    expect(definitionHash(def, 'fr')).not.toBe(definitionHash(def, 'en'));
    expect(definitionHash({ ...def, body: { ...def.body, fr: `${def.body.fr} Merci.` } }, 'fr')).not.toBe(definitionHash(def, 'fr'));
  });
});

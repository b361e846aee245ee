// Message templates in the simulated Cloud API: what POST /{waba-id}/message_templates accepts (Meta's
// creation rules that trip real submissions: name format, categories, sequential variables with examples,
// component limits), and, at send time, whether the parameters fit the approved template (132000, 132012)
// and how the phone renders it with the parameters filled in.
import { z } from 'zod';
import { invalid, metaPath, type Rejection, type TemplateParam, type TemplateRequest } from './validate.js';

const upper = (values: readonly [string, ...string[]]) => z.string().transform((s) => s.toUpperCase()).pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` }));
const chars = (s: string): number => [...s].length;
const text = (max: number) => z.string()
  .refine((s) => s.trim() !== '', 'must not be empty')
  .refine((s) => chars(s) <= max, `must be at most ${max} characters long`);

const button = z.object({
  type: upper(['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'FLOW', 'OTP', 'CATALOG', 'MPM', 'VOICE_CALL']),
  text: text(25).optional(),
  url: z.url({ error: 'must be a URL' }).optional(),
  phone_number: text(20).optional(),
}).loose().refine((b) => b.type === 'COPY_CODE' || b.type === 'OTP' || b.text !== undefined, { message: 'needs a text', path: ['text'] })
  .refine((b) => b.type !== 'URL' || b.url !== undefined, { message: 'needs a url', path: ['url'] })
  .refine((b) => b.type !== 'PHONE_NUMBER' || b.phone_number !== undefined, { message: 'needs a phone_number', path: ['phone_number'] });

const component = z.object({
  type: upper(['HEADER', 'BODY', 'FOOTER', 'BUTTONS']),
  format: upper(['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION']).optional(),
  text: z.string().optional(),
  buttons: z.array(button).min(1, 'must have 1 to 10 buttons').max(10, 'must have 1 to 10 buttons').optional(),
  example: z.record(z.string(), z.unknown()).optional(),
}).loose();

export const templateCreateSchema = z.object({
  name: z.string({ error: 'is required' }).regex(/^[a-z0-9_]{1,512}$/, 'must be 1 to 512 lowercase letters, digits or underscores'),
  language: text(15),
  category: upper(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
  parameter_format: upper(['POSITIONAL', 'NAMED']).optional(),
  components: z.array(component, { error: 'is required' }).min(1, 'must have at least a BODY'),
}).loose();
export type TemplateCreate = z.output<typeof templateCreateSchema>;
export type StoredComponent = z.output<typeof component>;

const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;
const variablesOf = (s: string): string[] => [...s.matchAll(VARIABLE)].map((m) => m[1] ?? '');

function exampleValues(example: Record<string, unknown> | undefined, key: string): unknown[] {
  const v = example?.[key];
  if (!Array.isArray(v)) return [];
  // body_text is an array of arrays (one per sample); header_text a flat array.
  return Array.isArray(v[0]) ? v[0] : v;
}

/** Meta's creation rules, beyond the shape: one BODY, variables numbered 1..n (or named) with examples. */
export function validateTemplateCreate(input: unknown): { ok: true; template: TemplateCreate } | Rejection {
  const parsed = templateCreateSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid(`Param ${metaPath(issue?.path ?? [])} ${issue?.message ?? 'is not valid'}`);
  }
  const t = parsed.data;
  const named = t.parameter_format === 'NAMED';
  const bodies = t.components.filter((c) => c.type === 'BODY');
  if (bodies.length !== 1) return invalid('Param components must contain exactly one component of type BODY');
  for (const [i, c] of t.components.entries()) {
    const at = `Param components[${i}]`;
    // An authentication template's body and footer are Meta's preset texts: the request sets only
    // add_security_recommendation and code_expiration_minutes.
    if (t.category === 'AUTHENTICATION' && (c.type === 'BODY' || c.type === 'FOOTER') && c.text === undefined) continue;
    if (c.type === 'BODY' || (c.type === 'HEADER' && (c.format ?? 'TEXT') === 'TEXT') || c.type === 'FOOTER') {
      const max = c.type === 'BODY' ? 1024 : 60;
      if (c.text === undefined || c.text.trim() === '') return invalid(`${at}['text'] is required for ${c.type}`);
      if (chars(c.text) > max) return invalid(`${at}['text'] must be at most ${max} characters long`);
      const vars = variablesOf(c.text);
      if (c.type === 'FOOTER' && vars.length) return invalid(`${at}['text'] a FOOTER cannot contain variables`);
      if (c.type === 'HEADER' && vars.length > 1) return invalid(`${at}['text'] a HEADER can contain at most 1 variable`);
      if (!vars.length) continue;
      if (named) {
        if (vars.some((v) => !/^[a-z][a-z0-9_]*$/.test(v))) return invalid(`${at}['text'] named variables must be lowercase letters, digits and _`);
        const key = c.type === 'BODY' ? 'body_text_named_params' : 'header_text_named_params';
        const given = new Set(exampleValues(c.example, key).map((e) => (e && typeof e === 'object' && 'param_name' in e ? String(e.param_name) : '')));
        const missing = vars.find((v) => !given.has(v));
        if (missing !== undefined) return invalid(`${at}['example']['${key}'] must give an example for every variable`);
      } else {
        const numbers = [...new Set(vars)].map(Number);
        if (numbers.some((n) => !Number.isInteger(n)) || numbers.sort((a, b) => a - b).some((n, k) => n !== k + 1)) {
          return invalid(`${at}['text'] variables must be numbered {{1}}, {{2}}, … in sequence`);
        }
        const key = c.type === 'BODY' ? 'body_text' : 'header_text';
        if (exampleValues(c.example, key).length < numbers.length) return invalid(`${at}['example']['${key}'] must give an example for every variable`);
      }
    }
  }
  return { ok: true, template: t };
}

export type RenderedButton =
  | { kind: 'quick_reply'; index: number; text: string; payload: string }
  | { kind: 'url'; index: number; text: string; url: string }
  | { kind: 'phone'; index: number; text: string; phone: string }
  | { kind: 'other'; index: number; text: string };
export type RenderedMedia = { kind: 'image' | 'video' | 'document'; id: string | null; link: string | null; filename: string | null };
export type RenderedTemplate = {
  name: string;
  language: string;
  header: { kind: 'text'; text: string } | RenderedMedia | { kind: 'location'; latitude: number; longitude: number; name: string | null; address: string | null } | null;
  body: string;
  footer: string | null;
  buttons: RenderedButton[];
};

export type TemplateFailure = { ok: false; code: 132000 | 132012; title: string; details: string };
const mismatch = (details: string): TemplateFailure => ({ ok: false, code: 132000, title: 'Number of parameters does not match the expected number of params', details });
const formatMismatch = (details: string): TemplateFailure => ({ ok: false, code: 132012, title: 'Parameter format does not match format in the created template', details });

function paramText(p: TemplateParam): string | null {
  switch (p.type) {
    case 'text': return String(p.text);
    case 'currency': return p.currency.fallback_value;
    case 'date_time': return p.date_time.fallback_value;
    default: return null;
  }
}

/** Fills `{{n}}` / `{{name}}` with the parameters; the count must match exactly, as Meta requires. */
function fill(textWithVars: string, params: TemplateParam[], named: boolean, where: string): { ok: true; text: string } | TemplateFailure {
  const vars = [...new Set(variablesOf(textWithVars))];
  if (named) {
    const byName = new Map<string, string>();
    for (const p of params) {
      const name = 'parameter_name' in p && typeof p.parameter_name === 'string' ? p.parameter_name : undefined;
      const value = paramText(p);
      if (name === undefined || value === null) return formatMismatch(`${where}: named templates need text parameters with parameter_name`);
      byName.set(name, value);
    }
    if (vars.length !== byName.size || vars.some((v) => !byName.has(v))) return mismatch(`${where}: expected ${vars.length} named parameters, received ${params.length}`);
    return { ok: true, text: textWithVars.replace(VARIABLE, (_m, v: string) => byName.get(v) ?? '') };
  }
  if (vars.length !== params.length) return mismatch(`${where}: expected ${vars.length} parameters, received ${params.length}`);
  const values: string[] = [];
  for (const p of params) {
    const v = paramText(p);
    if (v === null) return formatMismatch(`${where}: parameters must be text, currency or date_time`);
    values.push(v);
  }
  return { ok: true, text: textWithVars.replace(VARIABLE, (_m, v: string) => values[Number(v) - 1] ?? '') };
}

/** Checks the send's components against the approved template and renders what the phone shows. */
export function renderTemplate(stored: { name: string; language: string; parameterFormat: string | null; components: StoredComponent[] }, send: TemplateRequest): { ok: true; rendered: RenderedTemplate } | TemplateFailure {
  const named = stored.parameterFormat === 'NAMED';
  const sent = send.components ?? [];
  const find = (type: string) => sent.filter((c) => c.type === type);
  const rendered: RenderedTemplate = { name: stored.name, language: stored.language, header: null, body: '', footer: null, buttons: [] };
  const header = stored.components.find((c) => c.type === 'HEADER');
  const headerParams = find('header').flatMap((c) => (c.type === 'header' ? c.parameters : []));
  if (header) {
    const format = header.format ?? 'TEXT';
    if (format === 'TEXT') {
      const r = fill(header.text ?? '', headerParams, named, 'header');
      if (!r.ok) return r;
      rendered.header = { kind: 'text', text: r.text };
    } else {
      const p = headerParams[0];
      if (headerParams.length !== 1 || p === undefined) return mismatch(`header: expected 1 ${format.toLowerCase()} parameter, received ${headerParams.length}`);
      if (format === 'LOCATION') {
        if (p.type !== 'location') return formatMismatch('header: expected a location parameter');
        rendered.header = { kind: 'location', latitude: p.location.latitude, longitude: p.location.longitude, name: p.location.name ?? null, address: p.location.address ?? null };
      } else {
        const media = p.type === 'image' && format === 'IMAGE' ? p.image : p.type === 'video' && format === 'VIDEO' ? p.video : p.type === 'document' && format === 'DOCUMENT' ? p.document : null;
        if (media === null) return formatMismatch(`header: expected a ${format.toLowerCase()} parameter`);
        const filename = 'filename' in media && typeof media.filename === 'string' ? media.filename : null;
        rendered.header = { kind: p.type === 'image' ? 'image' : p.type === 'video' ? 'video' : 'document', id: media.id ?? null, link: media.link ?? null, filename };
      }
    }
  } else if (headerParams.length) {
    return mismatch(`header: expected 0 parameters, received ${headerParams.length}`);
  }
  const body = stored.components.find((c) => c.type === 'BODY');
  const b = fill(body?.text ?? '', find('body').flatMap((c) => (c.type === 'body' ? (c.parameters ?? []) : [])), named, 'body');
  if (!b.ok) return b;
  rendered.body = b.text;
  rendered.footer = stored.components.find((c) => c.type === 'FOOTER')?.text ?? null;
  const buttons = stored.components.find((c) => c.type === 'BUTTONS')?.buttons ?? [];
  const sentButtons = find('button');
  for (const sb of sentButtons) {
    if (sb.type !== 'button') continue;
    const target = buttons[Number(sb.index)];
    if (!target) return mismatch(`button index ${sb.index}: the template has ${buttons.length} buttons`);
    // A copy-code (OTP) button of an authentication template is sent as sub_type url with the code.
    const kind = target.type === 'QUICK_REPLY' ? 'quick_reply' : target.type === 'URL' || target.type === 'OTP' ? 'url' : target.type.toLowerCase();
    if (kind !== sb.sub_type) return formatMismatch(`button index ${sb.index}: the template's button is ${target.type}`);
  }
  for (const [index, tb] of buttons.entries()) {
    const sb = sentButtons.find((c) => c.type === 'button' && Number(c.index) === index);
    const params = sb && sb.type === 'button' ? sb.parameters : [];
    const label = tb.text ?? tb.type;
    if (tb.type === 'QUICK_REPLY') {
      const p = params[0];
      // Without a payload parameter, WhatsApp returns the button's text as the payload.
      const payload = p?.type === 'payload' ? p.payload : p?.type === 'text' ? String(p.text) : label;
      rendered.buttons.push({ kind: 'quick_reply', index, text: label, payload });
    } else if (tb.type === 'URL') {
      const url = tb.url ?? '';
      const dynamic = variablesOf(url).length > 0;
      const p = params[0];
      if (dynamic && p?.type !== 'text') return mismatch(`button index ${index}: the URL button needs 1 text parameter`);
      rendered.buttons.push({ kind: 'url', index, text: label, url: dynamic && p?.type === 'text' ? url.replace(VARIABLE, String(p.text)) : url });
    } else if (tb.type === 'PHONE_NUMBER') {
      rendered.buttons.push({ kind: 'phone', index, text: label, phone: tb.phone_number ?? '' });
    } else {
      rendered.buttons.push({ kind: 'other', index, text: label });
    }
  }
  return { ok: true, rendered };
}

/** Meta gives every new WhatsApp Business Account this approved sample template. */
export const HELLO_WORLD: TemplateCreate = {
  name: 'hello_world',
  language: 'en_US',
  category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
    { type: 'BODY', text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.' },
    { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
  ],
};

/**
 * PatientLine's one-time code (src/compliance/verification.ts) as Meta stores an authentication template:
 * its fixed body per language ("*{{1}}* is your verification code…", add_security_recommendation), the
 * expiry footer (code_expiration_minutes: 10) and one copy-code button. The simulator has it approved.
 */
export const ONE_TIME_CODE: readonly TemplateCreate[] = ([
  ['en', '*{{1}}* is your verification code. For your security, do not share this code.', 'This code expires in 10 minutes.', 'Copy code'],
  ['fr', '*{{1}}* est votre code de vérification. Pour votre sécurité, ne le partagez pas.', 'Ce code expire dans 10 minutes.', 'Copier le code'],
  ['it', '*{{1}}* è il tuo codice di verifica. Per la tua sicurezza, non condividerlo.', 'Questo codice scade tra 10 minuti.', 'Copia codice'],
  ['es', '*{{1}}* es tu código de verificación. Por tu seguridad, no lo compartas.', 'Este código caduca en 10 minutos.', 'Copiar código'],
  ['pt_PT', '*{{1}}* é o seu código de verificação. Para sua segurança, não o partilhe.', 'Este código expira em 10 minutos.', 'Copiar código'],
  ['de', '*{{1}}* ist dein Bestätigungscode. Teile diesen Code aus Sicherheitsgründen nicht.', 'Dieser Code läuft in 10 Minuten ab.', 'Code kopieren'],
] as const).map(([language, body, footer, copy]) => ({
  name: 'patientline_one_time_code',
  language,
  category: 'AUTHENTICATION' as const,
  components: [
    { type: 'BODY' as const, text: body, add_security_recommendation: true, example: { body_text: [['123456']] } },
    { type: 'FOOTER' as const, text: footer, code_expiration_minutes: 10 },
    { type: 'BUTTONS' as const, buttons: [{ type: 'OTP' as const, otp_type: 'COPY_CODE', text: copy }] },
  ],
}));

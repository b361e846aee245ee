// The documented Cloud API limits of outbound messages (cloud-api.md §5–§6), checked before anything is queued.
// Errors name the field and the limit, never the offending value: it may be patient data.
import type { InteractiveHeader, MediaSource, OutboundMessage, TemplateBodyParam, TemplateHeaderParam, TemplateMessage } from './outbound-schema.js';

export class OutboundLimitError extends Error {
  readonly code = 'outbound_limit';
  constructor(
    /** e.g. 'button title 2', 'text body', 'recipient'. */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundLimitError';
  }
}

/** Length as the Cloud API counts it: Unicode code points, so an emoji like 👍 is one character. */
export const codePoints = (s: string): number => [...s].length;

// Zero-width and BOM characters render as nothing, so a title made of them is as empty as a blank one.
const BLANK = /^[\s\u200b-\u200d\u2060\ufeff]*$/u;

function fail(field: string, message: string): never {
  throw new OutboundLimitError(field, message);
}

/** Required text: not blank and, when the Cloud API documents a limit, at most `max` code points. */
export function checkText(field: string, value: string, max?: number): void {
  if (BLANK.test(value)) fail(field, `${field} is empty`);
  if (max === undefined) return;
  const n = codePoints(value);
  if (n > max) fail(field, `${field} is ${n} characters; the Cloud API allows ${max}`);
}

/** Optional text: when given it must not be blank either (omit it instead). */
function checkOptionalText(field: string, value: string | undefined, max?: number): void {
  if (value !== undefined) checkText(field, value, max);
}

function checkCount(field: string, n: number, min: number, max: number): void {
  if (n < min || n > max) fail(field, `${field}: ${n} given; the Cloud API allows ${min} to ${max}`);
}

export function checkHttpUrl(field: string, value: string): void {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || /\s/.test(value)) {
    fail(field, `${field} is not an http(s) URL`);
  }
}

function checkMediaSource(field: string, source: MediaSource): void {
  if ('id' in source) {
    if (BLANK.test(source.id) || /\s/.test(source.id)) fail(`${field} id`, `${field} id is empty or contains spaces`);
  } else {
    checkHttpUrl(`${field} link`, source.link);
  }
}

function checkUnique(field: string, values: string[]): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) fail(`${field} ${i + 1}`, `${field} ${i + 1} repeats an earlier one; they must be unique`);
    seen.add(v);
  });
}

function checkInteractiveHeader(header: InteractiveHeader | undefined): void {
  if (!header) return;
  if (header.type === 'text') return checkText('header text', header.text, 60);
  if (header.type === 'image') return checkMediaSource('header image', header.image);
  if (header.type === 'video') return checkMediaSource('header video', header.video);
  return checkMediaSource('header document', header.document);
}

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

// Meta rejects template parameter text with newlines, tabs or more than 4 consecutive spaces (error 132018).
function checkTemplateText(field: string, text: string, max?: number): void {
  checkText(field, text, max);
  if (/[\n\r\t]/.test(text)) fail(field, `${field} contains a newline or tab; template parameters may not`);
  if (/ {5}/.test(text)) fail(field, `${field} has more than 4 consecutive spaces; template parameters may not`);
}

const PARAMETER_NAME = /^[a-z_][a-z0-9_]*$/;

function checkTemplateParams(component: 'header' | 'body', params: (TemplateBodyParam | TemplateHeaderParam)[]): void {
  const names: string[] = [];
  params.forEach((p, i) => {
    const field = `template ${component} parameter ${i + 1}`;
    if (p.type === 'text') checkTemplateText(field, p.text, component === 'header' ? 60 : undefined);
    else if (p.type === 'currency') checkText(`${field} fallback value`, p.currency.fallback_value);
    else if (p.type === 'date_time') checkText(`${field} fallback value`, p.date_time.fallback_value);
    else if (p.type === 'image') checkMediaSource(field, p.image);
    else if (p.type === 'video') checkMediaSource(field, p.video);
    else if (p.type === 'document') checkMediaSource(field, p.document);
    else checkLocation(field, p.location);
    if ('parameter_name' in p && p.parameter_name !== undefined) {
      if (!PARAMETER_NAME.test(p.parameter_name)) fail(`${field} name`, `${field} name must be lowercase letters, digits and _`);
      names.push(p.parameter_name);
    }
  });
  const textual = params.filter((p) => p.type === 'text' || p.type === 'currency' || p.type === 'date_time');
  if (names.length > 0 && names.length !== textual.length) {
    fail(`template ${component} parameters`, `template ${component} parameters mix named and positional ones; use one kind`);
  }
  checkUnique(`template ${component} parameter name`, names);
}

function checkTemplate(t: TemplateMessage['template']): void {
  if (!/^[a-z0-9_]{1,512}$/.test(t.name)) fail('template name', 'template name must be 1 to 512 lowercase letters, digits or _');
  if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(t.language.code)) fail('template language', 'template language must be a code such as fr or en_US');
  const components = t.components ?? [];
  const indexes: string[] = [];
  let headers = 0;
  let bodies = 0;
  for (const c of components) {
    if (c.type === 'header') {
      headers++;
      checkCount('template header parameters', c.parameters.length, 1, 1);
      checkTemplateParams('header', c.parameters);
    } else if (c.type === 'body') {
      bodies++;
      if (c.parameters.length === 0) fail('template body parameters', 'template body component has no parameters; omit it instead');
      checkTemplateParams('body', c.parameters);
    } else {
      const field = `template button ${c.index}`;
      if (!/^\d$/.test(c.index)) fail('template button index', 'template button index must be 0 to 9');
      indexes.push(c.index);
      checkCount(`${field} parameters`, c.parameters.length, 1, 1);
      for (const p of c.parameters) {
        if (p.type === 'payload') checkText(`${field} payload`, p.payload);
        else checkText(`${field} text`, p.text);
      }
    }
  }
  if (headers > 1) fail('template header', 'template has more than one header component');
  if (bodies > 1) fail('template body', 'template has more than one body component');
  checkUnique('template button index', indexes);
}

function checkLocation(field: string, l: { latitude: number; longitude: number; name?: string | undefined; address?: string | undefined }): void {
  if (!Number.isFinite(l.latitude) || Math.abs(l.latitude) > 90) fail(`${field} latitude`, `${field} latitude must be between -90 and 90`);
  if (!Number.isFinite(l.longitude) || Math.abs(l.longitude) > 180) fail(`${field} longitude`, `${field} longitude must be between -180 and 180`);
  checkOptionalText(`${field} name`, l.name);
  checkOptionalText(`${field} address`, l.address);
}

/** Throws OutboundLimitError for the first documented limit `message` breaks. */
export function assertWithinLimits(message: OutboundMessage): void {
  if (message.context !== undefined && BLANK.test(message.context.message_id)) fail('context message id', 'context message id is empty');
  switch (message.type) {
    case 'text':
      return checkText('text body', message.text.body, 4096);
    case 'image':
      checkMediaSource('image', message.image);
      return checkOptionalText('image caption', message.image.caption, 1024);
    case 'video':
      checkMediaSource('video', message.video);
      return checkOptionalText('video caption', message.video.caption, 1024);
    case 'document':
      checkMediaSource('document', message.document);
      checkOptionalText('document caption', message.document.caption, 1024);
      return checkOptionalText('document filename', message.document.filename);
    case 'audio':
      return checkMediaSource('audio', message.audio);
    case 'sticker':
      return checkMediaSource('sticker', message.sticker);
    case 'location':
      return checkLocation('location', message.location);
    case 'reaction': {
      if (BLANK.test(message.reaction.message_id)) fail('reaction message id', 'reaction message id is empty');
      const emoji = message.reaction.emoji;
      // An empty emoji removes our reaction.
      if (emoji !== '' && ([...GRAPHEMES.segment(emoji)].length !== 1 || !EMOJI.test(emoji))) {
        fail('reaction emoji', 'reaction emoji must be a single emoji, or empty to remove the reaction');
      }
      return;
    }
    case 'template':
      return checkTemplate(message.template);
    case 'interactive': {
      const i = message.interactive;
      checkText('body', i.body.text, i.type === 'list' ? 4096 : 1024);
      checkOptionalText('footer text', i.footer?.text, 60);
      if (i.type === 'list') {
        if (i.header) checkText('header text', i.header.text, 60);
        checkText('list button label', i.action.button, 20);
        const sections = i.action.sections;
        checkCount('list sections', sections.length, 1, 10);
        const rows = sections.flatMap((s) => s.rows);
        checkCount('list rows', rows.length, 1, 10);
        sections.forEach((s, n) => {
          const field = `section title ${n + 1}`;
          if (s.title === undefined && sections.length > 1) fail(field, `${field} is missing; it is required when there are several sections`);
          checkOptionalText(field, s.title, 24);
          if (s.rows.length === 0) fail(`section ${n + 1} rows`, `section ${n + 1} has no rows`);
        });
        rows.forEach((r, n) => {
          checkText(`row id ${n + 1}`, r.id, 200);
          checkText(`row title ${n + 1}`, r.title, 24);
          checkOptionalText(`row description ${n + 1}`, r.description, 72);
        });
        return checkUnique('row id', rows.map((r) => r.id));
      }
      checkInteractiveHeader(i.header);
      if (i.type === 'cta_url') {
        checkText('button display text', i.action.parameters.display_text, 20);
        return checkHttpUrl('button url', i.action.parameters.url);
      }
      const buttons = i.action.buttons;
      checkCount('reply buttons', buttons.length, 1, 3);
      buttons.forEach((b, n) => {
        checkText(`button id ${n + 1}`, b.reply.id, 256);
        // Meta refuses ids with leading or trailing spaces.
        if (b.reply.id.trim() !== b.reply.id) fail(`button id ${n + 1}`, `button id ${n + 1} has leading or trailing spaces`);
        checkText(`button title ${n + 1}`, b.reply.title, 20);
      });
      checkUnique('button id', buttons.map((b) => b.reply.id));
      return checkUnique('button title', buttons.map((b) => b.reply.title));
    }
  }
}

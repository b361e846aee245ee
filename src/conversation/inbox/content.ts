// What staff read of a message in the inbox: its words (text, caption, the title of the button or list row
// chosen), or a placeholder naming what it is (an image, a location, a reaction). Pure functions over the
// parsed inbound model and the outbound payload; nothing here is logged.
import type { InboundMessage } from '../../whatsapp/inbound-model.js';
import type { OutboxItem } from '../../whatsapp/outbox.js';

export interface Content {
  /** The message's type as staff see it: text, image, button, list, location, template… */
  type: string;
  /** The words, when it has any. */
  text: string | null;
  /** Media the inbox does not show inline (a placeholder in the thread). */
  media: boolean;
  /** For outbound interactive messages: the choices offered. */
  choices?: string[];
}

const MEDIA = new Set(['image', 'video', 'audio', 'document', 'sticker']);

export function inboundContent(m: InboundMessage): Content {
  switch (m.type) {
    case 'text':
      return { type: 'text', text: m.text, media: false };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return { type: m.type, text: m.media.caption ?? null, media: true };
    case 'interactive':
      if (m.reply.kind === 'button_reply' || m.reply.kind === 'list_reply') return { type: m.reply.kind === 'button_reply' ? 'button' : 'list', text: m.reply.title, media: false };
      if (m.reply.kind === 'nfm_reply') return { type: 'form', text: m.reply.body, media: false };
      if (m.reply.kind === 'call_permission_reply') return { type: 'call_permission', text: m.reply.response, media: false };
      return { type: 'interactive', text: null, media: false };
    case 'button':
      return { type: 'button', text: m.text, media: false };
    case 'location':
      return { type: 'location', text: [m.name, m.address].filter(Boolean).join(', ') || null, media: false };
    case 'contacts':
      return { type: 'contacts', text: null, media: false };
    case 'reaction':
      return { type: 'reaction', text: m.emoji, media: false };
    case 'order':
      return { type: 'order', text: m.text, media: false };
    case 'system':
      return { type: 'system', text: null, media: false };
    case 'edit':
      return { type: 'edit', text: m.text, media: false };
    case 'revoke':
      return { type: 'revoke', text: null, media: false };
    default:
      return { type: m.rawType || 'unknown', text: null, media: false };
  }
}

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function outboundContent(item: OutboxItem): Content {
  if ('kind' in item) return { type: 'read', text: null, media: false };
  const m = obj(item)!;
  const type = str(m['type']) ?? 'unknown';
  const part = obj(m[type]);
  if (type === 'text') return { type, text: str(obj(m['text'])?.['body']), media: false };
  if (MEDIA.has(type)) return { type, text: str(part?.['caption']), media: true };
  if (type === 'interactive') {
    const body = str(obj(part?.['body'])?.['text']);
    const action = obj(part?.['action']);
    const choices: string[] = [];
    for (const b of Array.isArray(action?.['buttons']) ? action['buttons'] : []) {
      const t = str(obj(obj(b)?.['reply'])?.['title']);
      if (t) choices.push(t);
    }
    for (const s of Array.isArray(action?.['sections']) ? action['sections'] : []) {
      for (const r of Array.isArray(obj(s)?.['rows']) ? (obj(s)!['rows'] as unknown[]) : []) {
        const t = str(obj(r)?.['title']);
        if (t) choices.push(t);
      }
    }
    return { type: str(part?.['type']) === 'list' ? 'list' : 'interactive', text: body, media: false, ...(choices.length ? { choices } : {}) };
  }
  if (type === 'template') return { type, text: str(part?.['name']), media: false };
  if (type === 'location') return { type, text: [str(part?.['name']), str(part?.['address'])].filter(Boolean).join(', ') || null, media: false };
  if (type === 'reaction') return { type, text: str(part?.['emoji']), media: false };
  return { type, text: null, media: false };
}

/** At most `max` characters (code points) of the words, or the type in brackets. */
export function preview(c: Content, max = 80): string {
  const words = c.text?.replace(/\s+/g, ' ').trim();
  if (!words) return `[${c.type}]`;
  const cps = [...words];
  return cps.length <= max ? words : `${cps.slice(0, max - 1).join('')}…`;
}

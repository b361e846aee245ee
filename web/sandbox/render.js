// Renders one chat message as WhatsApp shows it: the clinic's messages on the left (text, media, location,
// reply buttons, list, link button, templates), the patient's own on the right with ticks. Everything is
// built with DOM calls and text nodes.
import { appendFormatted, excerpt, safeLink } from './format.js';

const el = (tag, className, ...children) => {
  const e = document.createElement(tag);
  if (className) e.className = className;
  for (const c of children) if (c !== null && c !== undefined) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
};

const TICK_LABEL = { pending: 'Sending', accepted: 'Accepted by WhatsApp', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Not delivered' };

/** ✓ sent, ✓✓ delivered, blue ✓✓ read; a clock while pending. */
export function ticks(status, mine) {
  const s = status === 'accepted' ? 'pending' : status;
  const label = mine ? `${TICK_LABEL[s] ?? s}` : `Clinic was told: ${TICK_LABEL[s] ?? s}`;
  const span = el('span', `ticks ticks-${s}${mine ? '' : ' ticks-theirs'}`);
  span.setAttribute('role', 'img');
  span.setAttribute('aria-label', label);
  span.title = label;
  span.dataset.status = s;
  span.textContent = s === 'pending' ? '🕓' : s === 'sent' ? '✓' : s === 'failed' ? '!' : '✓✓';
  return span;
}

function meta(m, ctx) {
  const time = el('time', 'time', ctx.formatTime(m.at));
  time.dateTime = m.at;
  return el('span', 'meta', time, ticks(m.status, m.direction === 'in'));
}

function textBlock(text, className = 'text') {
  const p = el('div', className);
  appendFormatted(p, text ?? '');
  return p;
}

// Only the sandbox's own copy is shown: a linked file is fetched by the simulated Cloud API (as Meta
// fetches it), so the phone never loads a third-party URL and a failed fetch shows as not delivered.
function mediaBlock(kind, { url, filename, mime, caption }, ctx) {
  const wrap = el('div', 'media');
  const src = url;
  if (kind === 'image' || kind === 'sticker') {
    if (src) {
      const img = el('img', kind === 'sticker' ? 'sticker' : 'photo');
      img.src = src;
      img.alt = caption ? `Photo: ${caption}` : kind === 'sticker' ? 'Sticker' : 'Photo';
      img.loading = 'lazy';
      img.addEventListener('load', ctx.onMediaLoad, { once: true });
      wrap.append(src ? safeLinkWrap(src, img) : img);
    } else wrap.append(el('div', 'doc', 'Photo not available'));
  } else if (kind === 'video' || kind === 'audio') {
    if (src) {
      const v = el(kind, kind);
      v.controls = true;
      v.preload = 'metadata';
      v.src = src;
      wrap.append(v);
    }
  } else {
    const name = filename ?? (mime === 'application/pdf' ? 'document.pdf' : 'document');
    const card = el('div', 'doc', el('span', 'doc-icon', mime === 'application/pdf' ? 'PDF' : 'DOC'), el('span', 'doc-name', name));
    if (src) {
      const a = safeLink(src, 'Download', 'doc-download');
      if (a.tagName === 'A') {
        a.setAttribute('download', name);
        a.setAttribute('aria-label', `Download ${name}`);
      }
      card.append(a);
    }
    wrap.append(card);
  }
  if (caption) wrap.append(textBlock(caption, 'caption'));
  return wrap;
}

function safeLinkWrap(href, child) {
  const a = safeLink(href, '');
  if (a.tagName !== 'A') return child;
  a.textContent = '';
  a.append(child);
  a.setAttribute('aria-label', 'Open the photo');
  return a;
}

function locationBlock(loc) {
  const lat = Number(loc.latitude);
  const lon = Number(loc.longitude);
  const card = el('div', 'location', el('span', 'pin', '📍'));
  const info = el('div', 'loc-info');
  if (loc.name) info.append(el('strong', null, loc.name));
  if (loc.address) info.append(el('div', 'muted', loc.address));
  info.append(el('div', 'muted small', `${lat.toFixed(5)}, ${lon.toFixed(5)}`));
  info.append(safeLink(`https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`, 'Open map', 'map-link'));
  card.append(info);
  return card;
}

function contactsBlock(contacts) {
  const box = el('div', 'contacts');
  for (const c of contacts ?? []) {
    const row = el('div', 'contact', el('span', 'avatar small', (c.name?.formatted_name ?? '?').slice(0, 1)), el('strong', null, c.name?.formatted_name ?? 'Contact'));
    for (const p of c.phones ?? []) row.append(el('div', 'muted small', p.phone ?? ''));
    box.append(row);
  }
  return box;
}

function header(h, ctx) {
  if (!h) return null;
  if (h.type === 'text' || h.kind === 'text') return el('div', 'msg-header', h.text);
  return null;
}

function actionButton(label, icon, onClick, disabled) {
  const b = el('button', 'action', el('span', 'icon', icon), el('span', null, label));
  b.type = 'button';
  if (disabled) {
    b.disabled = true;
  } else b.addEventListener('click', onClick);
  return b;
}

function interactive(m, view, ctx) {
  const i = view.wire ?? {};
  const bubble = [];
  const actions = [];
  const h = i.header;
  if (h?.type === 'text') bubble.push(header(h, ctx));
  else if (h && ['image', 'video', 'document'].includes(h.type)) bubble.push(mediaBlock(h.type, { url: view.mediaId ? ctx.mediaUrl(view.mediaId) : null, filename: view.filename, mime: view.mimeType }, ctx));
  if (i.body?.text) bubble.push(textBlock(i.body.text));
  if (i.footer?.text) bubble.push(el('div', 'footer', i.footer.text));
  const a = i.action ?? {};
  if (i.type === 'button') {
    for (const b of a.buttons ?? []) actions.push(actionButton(b.reply?.title ?? '', '↩', () => ctx.tapReply(m.wamid, b.reply?.id)));
  } else if (i.type === 'list') {
    actions.push(actionButton(a.button ?? 'Options', '☰', () => ctx.openList(m.wamid, i)));
  } else if (i.type === 'cta_url') {
    const link = safeLink(a.parameters?.url, '', 'action');
    link.textContent = '';
    link.append(el('span', 'icon', '↗'), el('span', null, a.parameters?.display_text ?? 'Open'));
    actions.push(link);
  } else if (i.type === 'flow') {
    const b = actionButton(a.parameters?.flow_cta ?? 'Open', '▤', null, true);
    b.title = 'WhatsApp Flows are not simulated in the sandbox';
    actions.push(b);
  } else if (i.type === 'location_request_message') {
    actions.push(actionButton('Send location', '📍', () => ctx.askLocation()));
  }
  return { bubble, actions };
}

function template(m, view, ctx) {
  const t = view.template;
  const bubble = [];
  const actions = [];
  if (!t) return { bubble: [textBlock(`Template ${view.wire?.name ?? ''}`)], actions };
  const h = t.header;
  if (h?.kind === 'text') bubble.push(el('div', 'msg-header', h.text));
  else if (h?.kind === 'location') bubble.push(locationBlock(h));
  else if (h) bubble.push(mediaBlock(h.kind, { url: view.mediaId ? ctx.mediaUrl(view.mediaId) : null, filename: view.filename, mime: view.mimeType }, ctx));
  bubble.push(textBlock(t.body));
  if (t.footer) bubble.push(el('div', 'footer', t.footer));
  for (const b of t.buttons ?? []) {
    if (b.kind === 'quick_reply') actions.push(actionButton(b.text, '↩', () => ctx.tapTemplate(m.wamid, b.index)));
    else if (b.kind === 'url') {
      const link = safeLink(b.url, '', 'action');
      link.textContent = '';
      link.append(el('span', 'icon', '↗'), el('span', null, b.text));
      actions.push(link);
    } else if (b.kind === 'phone') {
      const link = safeLink(`tel:${b.phone}`, '', 'action');
      link.textContent = '';
      link.append(el('span', 'icon', '☎'), el('span', null, b.text));
      actions.push(link);
    } else actions.push(actionButton(b.text, '•', null, true));
  }
  return { bubble, actions };
}

/** The clinic's message (direction 'out' at the Cloud API). */
function fromClinic(m, ctx) {
  const view = m.content ?? {};
  const w = view.wire ?? {};
  const media = { url: view.mediaId ? ctx.mediaUrl(view.mediaId) : null, filename: view.filename ?? w.filename, mime: view.mimeType, caption: w.caption };
  switch (m.type) {
    case 'text': return { bubble: [textBlock(w.body)], actions: [] };
    case 'image': case 'video': case 'audio': case 'document': case 'sticker': return { bubble: [mediaBlock(m.type, media, ctx)], actions: [] };
    case 'location': return { bubble: [locationBlock(w)], actions: [] };
    case 'contacts': return { bubble: [contactsBlock(w)], actions: [] };
    case 'reaction': return { bubble: [el('div', 'reaction', w.emoji || '(reaction removed)')], actions: [] };
    case 'interactive': return interactive(m, view, ctx);
    case 'template': return template(m, view, ctx);
    default: return { bubble: [el('div', 'muted', `Unsupported message (${m.type})`)], actions: [] };
  }
}

/** The patient's own message: the webhook message object the clinic received. */
function fromPatient(m, ctx) {
  const c = m.content ?? {};
  const parts = [];
  if (c.context?.id) {
    const quoted = ctx.find(c.context.id);
    parts.push(el('div', 'quote', el('strong', null, ctx.businessName), el('div', null, excerpt(quoted ? ctx.preview(quoted) : 'Message'))));
  }
  switch (m.type) {
    case 'text': parts.push(textBlock(c.text?.body)); break;
    case 'interactive': {
      const r = c.interactive?.button_reply ?? c.interactive?.list_reply ?? {};
      parts.push(el('div', 'text', r.title ?? ''));
      if (r.description) parts.push(el('div', 'muted small', r.description));
      break;
    }
    case 'button': parts.push(el('div', 'text', c.button?.text ?? '')); break;
    case 'location': parts.push(locationBlock(c.location ?? {})); break;
    case 'image': case 'document': {
      const media = c[m.type] ?? {};
      parts.push(mediaBlock(m.type, { url: ctx.mediaUrl(media.id), filename: media.filename, mime: media.mime_type, caption: media.caption }, ctx));
      break;
    }
    default: parts.push(el('div', 'muted', m.type));
  }
  return parts;
}

/** One row of the chat. */
export function renderMessage(m, ctx) {
  const mine = m.direction === 'in';
  const row = el('li', `row ${mine ? 'mine' : 'theirs'}`);
  row.dataset.wamid = m.wamid;
  row.dataset.status = m.status;
  row.dataset.type = m.type;
  const bubble = el('div', `bubble${m.type === 'reaction' ? ' bubble-reaction' : ''}`);
  if (mine) {
    bubble.append(...fromPatient(m, ctx));
    bubble.append(meta(m, ctx));
    row.append(bubble);
    return row;
  }
  const { bubble: parts, actions } = fromClinic(m, ctx);
  bubble.append(...parts.filter(Boolean));
  if (m.status === 'failed') bubble.append(el('div', 'failed-note', `Not delivered to the phone${m.errorCode ? ` (error ${m.errorCode})` : ''}`));
  bubble.append(meta(m, ctx));
  const group = el('div', 'group', bubble);
  if (actions.length) group.append(el('div', 'actions', ...actions));
  row.append(group);
  return row;
}

/** A one-line summary of a message, for quotes. */
export function previewOf(m) {
  const c = m.content ?? {};
  if (m.direction === 'in') return c.text?.body ?? c.interactive?.button_reply?.title ?? c.interactive?.list_reply?.title ?? c.button?.text ?? m.type;
  const w = c.wire ?? {};
  if (m.type === 'text') return w.body;
  if (m.type === 'interactive') return w.body?.text ?? 'Message';
  if (m.type === 'template') return c.template?.body ?? 'Message';
  return w.caption ?? m.type;
}

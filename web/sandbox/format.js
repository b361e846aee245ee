// WhatsApp text formatting for the sandbox phone: *bold*, _italic_, ~strikethrough~, ```monospace``` and
// links, built as DOM nodes. Text is only ever inserted with createTextNode: nothing a patient or the bot
// writes can become markup.

const URL_RE = /\b(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/gi;
// A marker opens after a start, space or punctuation and closes before an end, space or punctuation,
// with no space just inside it, as WhatsApp does.
const STYLE_RE = /(^|[\s([{"'])(```([\s\S]+?)```|\*([^\s*](?:[^*\n]*[^\s*])?)\*|_([^\s_](?:[^_\n]*[^\s_])?)_|~([^\s~](?:[^~\n]*[^\s~])?)~)(?=$|[\s.,;:!?)\]}"'])/;

/** Appends `text` to `parent`, with styles and links, as nodes. */
export function appendFormatted(parent, text, depth = 0) {
  let rest = String(text);
  while (rest.length) {
    const m = STYLE_RE.exec(rest);
    if (!m || depth > 3) {
      appendLinks(parent, rest);
      return;
    }
    const start = m.index + m[1].length;
    appendLinks(parent, rest.slice(0, start));
    let el;
    if (m[3] !== undefined) {
      el = document.createElement('code');
      el.append(document.createTextNode(m[3]));
    } else {
      el = document.createElement(m[4] !== undefined ? 'strong' : m[5] !== undefined ? 'em' : 's');
      appendFormatted(el, m[4] ?? m[5] ?? m[6] ?? '', depth + 1);
    }
    parent.append(el);
    rest = rest.slice(m.index + m[0].length);
  }
}

function appendLinks(parent, text) {
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
    parent.append(safeLink(m[0], m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

/** An <a> only for http(s) URLs (never javascript: or data:), opened outside the page. */
export function safeLink(href, label, className) {
  let url = null;
  try {
    url = new URL(href, location.href);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'tel:')) {
    const span = document.createElement('span');
    span.textContent = label;
    return span;
  }
  const a = document.createElement('a');
  a.href = url.href;
  a.textContent = label;
  if (url.protocol !== 'tel:') {
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
  if (className) a.className = className;
  return a;
}

/** A plain-text excerpt for quotes and previews. */
export function excerpt(text, max = 80) {
  const s = String(text ?? '').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

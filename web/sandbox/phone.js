// The sandbox patient phone: picks a simulated patient, streams their chat (server-sent events), sends what
// the person types or taps through /sandbox/api (which turns it into real Cloud API webhooks), and reports
// which clinic messages were shown, so the clinic gets `read` statuses as from a real phone.
import { previewOf, renderMessage } from './render.js';

const $ = (id) => document.getElementById(id);
const LANGUAGE_NAMES = { en: 'English', fr: 'Français', it: 'Italiano', es: 'Español', pt: 'Português', de: 'Deutsch' };

const state = {
  business: { name: 'Clinic', phone: '' },
  patients: [],
  patient: null,
  messages: new Map(),
  source: null,
  unseen: new Set(),
  typingTimer: null,
  pinned: true,
};

async function api(path, opts = {}) {
  const res = await fetch(path, { ...opts, headers: opts.body && !(opts.body instanceof FormData) ? { 'content-type': 'application/json', ...opts.headers } : opts.headers });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (!res.ok) throw new Error(body?.detail ?? body?.title ?? `HTTP ${res.status}`);
  return body;
}

let toastTimer = null;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 4000);
}

function formatTime(iso) {
  const lang = state.patient?.language ?? 'en';
  return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

function dayLabel(iso) {
  const lang = state.patient?.language ?? 'en';
  const d = new Date(iso);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return 'Today';
  return new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long' }).format(d);
}

const ctx = {
  formatTime,
  get businessName() { return state.business.name; },
  mediaUrl: (id) => (id ? `/sandbox/api/media/${encodeURIComponent(id)}` : null),
  find: (wamid) => state.messages.get(wamid),
  preview: previewOf,
  onMediaLoad: () => stickToBottom(),
  tapReply: (wamid, id) => send({ type: 'reply', context: wamid, id }),
  tapTemplate: (wamid, index) => send({ type: 'template_button', context: wamid, index }),
  openList: (wamid, interactive) => openList(wamid, interactive),
  askLocation: () => $('location-dialog').showModal(),
};

// ---- patients ----
function showPatient(p) {
  $('patient-name').textContent = p.name;
  $('patient-phone').textContent = p.phone;
  $('patient-avatar').textContent = p.name.slice(0, 1).toUpperCase();
  $('patient-lang').textContent = p.language.toUpperCase();
  $('patient-lang').title = `Phone language: ${LANGUAGE_NAMES[p.language] ?? p.language}`;
  document.documentElement.lang = p.language;
  setTyping(p.typing);
}

function setTyping(on) {
  clearTimeout(state.typingTimer);
  $('chat-subtitle').textContent = on ? 'typing…' : `Business account · ${state.business.phone}`;
  $('chat-subtitle').classList.toggle('typing', on);
  // The indicator goes away by itself after 25 s, as on WhatsApp.
  if (on) state.typingTimer = setTimeout(() => setTyping(false), 25_000);
}

function renderPatientList() {
  const list = $('patient-list');
  list.replaceChildren();
  for (const p of state.patients) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'patient-item';
    if (state.patient?.id === p.id) b.setAttribute('aria-current', 'true');
    const av = document.createElement('span');
    av.className = 'avatar small';
    av.textContent = p.name.slice(0, 1).toUpperCase();
    const label = document.createElement('span');
    label.className = 'patient-label';
    const name = document.createElement('strong');
    name.textContent = p.name;
    const sub = document.createElement('span');
    sub.className = 'muted small';
    sub.textContent = `${p.phone} · ${LANGUAGE_NAMES[p.language] ?? p.language}`;
    label.append(name, sub);
    b.append(av, label);
    b.addEventListener('click', () => {
      $('patients-dialog').close();
      openChat(p.id);
    });
    const li = document.createElement('li');
    li.append(b);
    list.append(li);
  }
}

async function loadState() {
  const s = await api('/sandbox/api/state');
  state.business = s.business;
  state.patients = s.patients;
  $('clinic-name').textContent = s.business.name;
  $('clinic-avatar').textContent = s.business.name.slice(0, 1).toUpperCase();
  const select = $('language-select');
  select.replaceChildren(...s.languages.map((l) => new Option(`${LANGUAGE_NAMES[l] ?? l} (${l})`, l)));
  fillSettings(s.settings);
  return s;
}

// ---- chat ----
/** Follows new messages while the person is at the bottom of the chat; leaves them alone when they scrolled up. */
function stickToBottom(force = false) {
  const box = $('messages');
  if (force || state.pinned) {
    box.scrollTop = box.scrollHeight;
    state.pinned = true;
  }
}

function upsert(m) {
  state.messages.set(m.wamid, m);
  const box = $('messages');
  const row = renderMessage(m, ctx);
  const existing = box.querySelector(`li.row[data-wamid="${CSS.escape(m.wamid)}"]`);
  if (existing) existing.replaceWith(row);
  else {
    const last = [...box.querySelectorAll('li.row')].pop();
    const lastDay = last ? new Date(state.messages.get(last.dataset.wamid)?.at ?? 0).toDateString() : null;
    if (lastDay !== new Date(m.at).toDateString()) {
      const sep = document.createElement('li');
      sep.className = 'day';
      sep.textContent = dayLabel(m.at);
      box.append(sep);
    }
    box.append(row);
  }
  if (m.direction === 'out' && m.status !== 'read' && m.status !== 'failed' && m.type !== 'reaction') state.unseen.add(m.wamid);
  if (m.direction === 'out' && m.status !== 'failed') setTyping(false);
}

let seenTimer = null;
/** The clinic's messages that the person has had on screen get `read`, after a glance. */
function reportSeen() {
  clearTimeout(seenTimer);
  if (!state.patient || state.unseen.size === 0 || document.visibilityState !== 'visible') return;
  seenTimer = setTimeout(async () => {
    const wamids = [...state.unseen];
    state.unseen.clear();
    try {
      await api(`/sandbox/api/patients/${state.patient.id}/seen`, { method: 'POST', body: JSON.stringify({ wamids }) });
    } catch {
      for (const w of wamids) state.unseen.add(w);
    }
  }, 700);
}

function openChat(id) {
  const p = state.patients.find((x) => x.id === id) ?? state.patients[0];
  if (!p) return;
  state.patient = p;
  localStorage.setItem('patientline.sandbox.patient', p.id);
  history.replaceState(null, '', `#p=${p.id}`);
  showPatient(p);
  state.messages.clear();
  state.unseen.clear();
  $('messages').replaceChildren();
  state.source?.close();
  const source = new EventSource(`/sandbox/api/patients/${p.id}/events`);
  state.source = source;
  source.addEventListener('snapshot', (e) => {
    const data = JSON.parse(e.data);
    $('messages').replaceChildren();
    state.messages.clear();
    for (const m of data.messages) upsert(m);
    showPatient(data.patient);
    stickToBottom(true);
    reportSeen();
    document.body.dataset.ready = 'true';
  });
  source.addEventListener('messages', (e) => {
    for (const m of JSON.parse(e.data)) upsert(m);
    stickToBottom();
    reportSeen();
  });
  source.addEventListener('patient', (e) => {
    const data = JSON.parse(e.data);
    state.patient = { ...state.patient, ...data };
    setTyping(data.typing);
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; the snapshot on reconnect brings the chat back in step.
  });
}

async function send(input) {
  if (!state.patient) return;
  try {
    const m = await api(`/sandbox/api/patients/${state.patient.id}/messages`, { method: 'POST', body: JSON.stringify(input) });
    upsert(m);
    stickToBottom(true);
  } catch (e) {
    toast(`Not sent: ${e.message}`);
  }
}

async function sendFile(file) {
  if (!state.patient || !file) return;
  const form = new FormData();
  const caption = $('input').value.trim();
  if (caption) form.append('caption', caption);
  form.append('file', file, file.name);
  try {
    const m = await api(`/sandbox/api/patients/${state.patient.id}/media`, { method: 'POST', body: form });
    $('input').value = '';
    upsert(m);
    stickToBottom(true);
  } catch (e) {
    toast(`Not sent: ${e.message}`);
  }
}

function openList(wamid, interactive) {
  const dialog = $('list-dialog');
  $('list-title').textContent = interactive.action?.button ?? 'Options';
  const box = $('list-sections');
  box.replaceChildren();
  for (const section of interactive.action?.sections ?? []) {
    const group = document.createElement('section');
    if (section.title) {
      const h = document.createElement('h3');
      h.textContent = section.title;
      group.append(h);
    }
    for (const row of section.rows ?? []) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'list-row';
      const title = document.createElement('span');
      title.className = 'list-row-title';
      title.textContent = row.title;
      b.append(title);
      if (row.description) {
        const d = document.createElement('span');
        d.className = 'muted small';
        d.textContent = row.description;
        b.append(d);
      }
      b.addEventListener('click', () => {
        dialog.close();
        send({ type: 'reply', context: wamid, id: row.id });
      });
      group.append(b);
    }
    box.append(group);
  }
  dialog.showModal();
}

// ---- developer panel ----
function fillSettings(s) {
  const f = $('settings-form');
  f.enforceLimits.checked = s.enforceLimits;
  f.mps.value = s.mps;
  f.pairBurst.value = s.pairBurst;
  f.templateApprovalMs.value = s.templateApprovalMs;
}

let devTimer = null;
async function refreshDev() {
  try {
    const [log, templates] = await Promise.all([api('/sandbox/api/log'), api('/sandbox/api/templates')]);
    const list = $('api-log');
    list.replaceChildren(...log.items.map((r) => {
      const li = document.createElement('li');
      li.className = r.error_code ? 'bad' : 'good';
      const head = document.createElement('div');
      head.textContent = `${new Date(r.at).toLocaleTimeString()} ${r.method} ${r.path} → ${r.http_status}${r.error_code ? ` (#${r.error_code})` : ''}`;
      li.append(head);
      if (r.details) {
        const d = document.createElement('div');
        d.className = 'muted small';
        d.textContent = r.details;
        li.append(d);
      }
      return li;
    }));
    $('templates').replaceChildren(...templates.items.map((t) => {
      const li = document.createElement('li');
      li.textContent = `${t.name} (${t.language}, ${t.category.toLowerCase()}) — ${t.status}`;
      return li;
    }));
  } catch {
    // The panel is a convenience: a failed refresh waits for the next one.
  }
}

function toggleDev() {
  const dev = $('dev');
  const open = dev.hidden;
  dev.hidden = !open;
  $('dev-button').setAttribute('aria-expanded', String(open));
  clearInterval(devTimer);
  if (open) {
    refreshDev();
    devTimer = setInterval(refreshDev, 3000);
  }
}

// ---- wiring ----
function wire() {
  const input = $('input');
  const box = $('messages');
  box.addEventListener('scroll', () => { state.pinned = box.scrollHeight - box.scrollTop - box.clientHeight < 80; }, { passive: true });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    input.style.height = '';
    send({ type: 'text', text });
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  input.addEventListener('input', () => {
    input.style.height = '';
    input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
  });

  const menu = $('attach-menu');
  const attach = $('attach-button');
  const closeMenu = () => { menu.hidden = true; attach.setAttribute('aria-expanded', 'false'); };
  attach.addEventListener('click', () => {
    menu.hidden = !menu.hidden;
    attach.setAttribute('aria-expanded', String(!menu.hidden));
    if (!menu.hidden) menu.querySelector('button')?.focus();
  });
  menu.addEventListener('keydown', (e) => { if (e.key === 'Escape') { closeMenu(); attach.focus(); } });
  menu.addEventListener('click', (e) => {
    const what = e.target.closest('button')?.dataset.attach;
    closeMenu();
    if (what === 'photo') $('file-photo').click();
    else if (what === 'document') $('file-document').click();
    else if (what === 'location') $('location-dialog').showModal();
  });
  for (const id of ['file-photo', 'file-document']) {
    $(id).addEventListener('change', (e) => {
      const file = e.target.files?.[0];
      e.target.value = '';
      sendFile(file);
    });
  }
  $('location-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.target;
    $('location-dialog').close();
    send({ type: 'location', latitude: Number(f.latitude.value), longitude: Number(f.longitude.value), ...(f.name.value.trim() ? { name: f.name.value.trim() } : {}), ...(f.address.value.trim() ? { address: f.address.value.trim() } : {}) });
  });

  $('patient-button').addEventListener('click', async () => {
    await loadState().catch(() => {});
    renderPatientList();
    $('patients-dialog').showModal();
  });
  $('new-patient').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    $('new-patient-error').textContent = '';
    try {
      const p = await api('/sandbox/api/patients', { method: 'POST', body: JSON.stringify({ name: f.name.value, phone: f.phone.value, language: f.language.value }) });
      state.patients.push(p);
      f.reset();
      $('patients-dialog').close();
      openChat(p.id);
    } catch (err) {
      $('new-patient-error').textContent = err.message;
    }
  });

  $('dev-button').addEventListener('click', toggleDev);
  $('settings-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      const s = await api('/sandbox/api/settings', { method: 'PUT', body: JSON.stringify({ enforceLimits: f.enforceLimits.checked, mps: Number(f.mps.value), pairBurst: Number(f.pairBurst.value), templateApprovalMs: Number(f.templateApprovalMs.value) }) });
      fillSettings(s);
      toast('Sandbox settings saved');
    } catch (err) {
      toast(`Not saved: ${err.message}`);
    }
  });
  document.addEventListener('visibilitychange', reportSeen);
}

async function main() {
  wire();
  try {
    const s = await loadState();
    const fromHash = /^#p=([\w-]+)$/.exec(location.hash)?.[1];
    const wanted = fromHash ?? localStorage.getItem('patientline.sandbox.patient');
    openChat(s.patients.some((p) => p.id === wanted) ? wanted : s.patients[0]?.id);
    $('input').focus();
  } catch (e) {
    toast(`The sandbox is not reachable: ${e.message}`);
  }
}

main();

// What the simulated Cloud API does with a valid request, as Meta does it: sends are accepted with a wamid
// and followed by status webhooks (or by a `failed` one: 131047 outside the 24-hour window, 131053 for
// media it cannot use); templates must exist and be approved (132001); throughput and pair-rate limits
// (130429, 131056) when the sandbox enforces them; mark-as-read turns the patient's ticks blue.
import type { Settings } from './sandbox.js';
import { graphError, ok, type GraphReply, type Sandbox } from './sandbox.js';
import {
  advanceStatus, countSendThisSecond, findMessage, findPatient, findTemplate, getMedia, insertMessage, markEarlierRead, outboundTimes, putMedia, setTyping, updateContent, type SimPatient,
} from './repo.js';
import { renderTemplate, type RenderedTemplate, type StoredComponent } from './templates.js';
import { needsWindow, type ValidMessage } from './validate.js';
import { newNumericId, newWamid, statusWebhook, type StatusName } from './webhooks.js';
import { fetchLink } from './link-fetch.js';
import { checkMedia, MEDIA_RULES, sha256Hex } from './media-rules.js';

export const WINDOW_MS = 24 * 3600 * 1000;
const PAIR_REFILL_MS = 6000;
const TYPING_MS = 25_000;

/** What the phone needs to show a business message, stored beside the request as sent. */
export type OutboundView = {
  /** The object named by `type` in the request (text, image, interactive…). */
  wire: unknown;
  template: RenderedTemplate | null;
  /** Media the phone can open: an uploaded id, or a link's bytes fetched as Meta would. */
  mediaId: string | null;
  mediaLink: string | null;
  mimeType: string | null;
  filename: string | null;
};

/** Token bucket over the last sends: `burst` capacity, one message refilled every 6 s. */
export function pairBucketFull(sendTimes: Date[], now: Date, burst: number): boolean {
  let level = 0;
  let prev: number | null = null;
  for (const t of [...sendTimes.map((d) => d.getTime()), now.getTime()]) {
    if (prev !== null) level = Math.max(0, level - (t - prev) / PAIR_REFILL_MS);
    prev = t;
    if (t !== now.getTime()) level += 1;
  }
  return level + 1 > burst + 1e-9;
}

async function rateLimited(sb: Sandbox, settings: Settings, patientId: string): Promise<GraphReply | null> {
  if (!settings.enforceLimits) return null;
  const now = sb.clock.now();
  if ((await countSendThisSecond(sb.db, now)) > settings.mps) {
    return graphError(429, 130429, 'Rate limit hit', `Cloud API message throughput has been reached (${settings.mps} messages per second for this number).`);
  }
  const recent = await outboundTimes(sb.db, new Date(now.getTime() - settings.pairBurst * PAIR_REFILL_MS), patientId);
  if (pairBucketFull(recent, now, settings.pairBurst)) {
    return graphError(429, 131056, '(Business Account, Consumer Account) pair rate limit hit', 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time (1 message every 6 seconds, bursts up to ' + settings.pairBurst + ').');
  }
  return null;
}

function category(template: { category: string } | null): string | null {
  return template ? template.category : null;
}

/** Accepts with a wamid, then fails by status webhook: how Meta reports what it finds after answering. */
async function acceptThenFail(sb: Sandbox, v: ValidMessage, patient: SimPatient | null, error: { code: number; title: string; details: string }): Promise<GraphReply> {
  const wamid = newWamid(patient?.waId ?? v.to ?? '0');
  await sb.dispatcher.enqueue({
    kind: 'status:failed',
    refWamid: wamid,
    delayMs: 100,
    payload: statusWebhook(sb.business, { wamid, status: 'failed', at: sb.clock.now(), waId: patient?.waId ?? v.to, bsuid: patient?.bsuid ?? v.recipient, callbackData: v.callbackData, category: null, error }),
  });
  return { ...ok(sendResponse(v, patient, wamid, false)), details: `${v.type} accepted, then a failed status webhook: ${error.code} ${error.title}` };
}

function sendResponse(v: ValidMessage, patient: SimPatient | null, wamid: string, template: boolean) {
  const contact: Record<string, string> = { input: v.to !== null ? String(v.body['to']) : (v.recipient ?? '') };
  if (patient && v.to !== null) contact['wa_id'] = patient.waId;
  if (patient) contact['user_id'] = patient.bsuid;
  return { messaging_product: 'whatsapp', contacts: [contact], messages: [{ id: wamid, ...(template ? { message_status: 'accepted' } : {}) }] };
}

/** POST /{phone-number-id}/messages with a message (not mark-as-read). */
export async function sendMessage(sb: Sandbox, v: ValidMessage): Promise<GraphReply> {
  const now = sb.clock.now();
  // `to` wins over `recipient` when both are given (cloud-api.md §5).
  const patient = v.to !== null ? await sb.findOrCreateByPhone(v.to) : await findPatient(sb.db, sb.cipher, { bsuid: v.recipient ?? '' });
  if (!patient) {
    return acceptThenFail(sb, v, null, { code: 131026, title: 'Message undeliverable', details: 'The recipient is not a WhatsApp user this business can reach.' });
  }
  const settings = await sb.settings();
  const limited = await rateLimited(sb, settings, patient.id);
  if (limited) return limited;

  let template: { category: string } | null = null;
  let rendered: RenderedTemplate | null = null;
  if (v.type === 'template') {
    const t = await findTemplate(sb.db, { name: v.content.name, language: v.content.language.code }, now);
    if (!t || t.status !== 'APPROVED') {
      return graphError(404, 132001, 'Template name does not exist in the translation', `template name (${v.content.name}) does not exist in ${v.content.language.code}${t ? ` (status ${t.status})` : ''}`);
    }
    const r = renderTemplate({ name: t.name, language: t.language, parameterFormat: t.parameterFormat, components: componentsOf(t.components) }, v.content);
    if (!r.ok) return graphError(400, r.code, r.title, r.details);
    template = t;
    rendered = r.rendered;
  }

  if (needsWindow(v.type) && !(patient.lastInboundAt && now.getTime() - patient.lastInboundAt.getTime() < WINDOW_MS)) {
    return acceptThenFail(sb, v, patient, { code: 131047, title: 'Re-engagement message', details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' });
  }

  const view: OutboundView = { wire: v.body[v.type], template: rendered, mediaId: null, mediaLink: null, mimeType: null, filename: null };
  const media = mediaRef(v, rendered);
  if (media?.id) {
    const m = await getMedia(sb.db, media.id);
    const problem = m ? checkMedia(media.kind, m.mimeType, m.size) : 'The media ID does not exist or was deleted.';
    if (problem !== null || !m) return acceptThenFail(sb, v, patient, { code: 131053, title: 'Media upload error', details: problem ?? 'unusable media' });
    Object.assign(view, { mediaId: m.id, mimeType: m.mimeType, filename: media.filename ?? m.filename });
  } else if (media?.link) {
    Object.assign(view, { mediaLink: media.link, filename: media.filename });
  }

  const wamid = newWamid(patient.waId);
  await insertMessage(sb.db, sb.cipher, { patientId: patient.id, direction: 'out', wamid, type: v.type, content: view, status: 'accepted', callbackData: v.callbackData, contextWamid: v.contextId, now });
  // A message from the business ends its typing indicator.
  if (patient.typingUntil) await setTyping(sb.db, patient.id, null);
  sb.changed(patient.id);
  if (media?.link && !media.id) {
    void fetchLinkedMedia(sb, wamid, patient, v, media.kind, media.link);
  } else {
    await queueDelivery(sb, wamid, patient, v.callbackData, category(template), v.type === 'reaction');
  }
  return ok(sendResponse(v, patient, wamid, v.type === 'template'));
}

async function queueDelivery(sb: Sandbox, wamid: string, patient: SimPatient, callbackData: string | null, cat: string | null, sentOnly: boolean): Promise<void> {
  const steps: [StatusName, number][] = sentOnly ? [['sent', 150]] : [['sent', 150], ['delivered', 400]];
  for (const [status, delayMs] of steps) {
    await sb.dispatcher.enqueue({
      kind: `status:${status}`, refWamid: wamid, delayMs,
      payload: statusWebhook(sb.business, { wamid, status, at: new Date(sb.clock.now().getTime() + delayMs), waId: patient.waId, bsuid: patient.bsuid, callbackData, category: cat }),
    });
  }
}

/**
 * Meta fetches a linked file itself and fails the message (131053) when it cannot: unreachable, refused (not a
 * public http(s) address, a redirect to another host), too large for its type, or too slow. See link-fetch.ts.
 */
async function fetchLinkedMedia(sb: Sandbox, wamid: string, patient: SimPatient, v: ValidMessage, kind: MediaKind, link: string): Promise<void> {
  let problem: string | null = null;
  try {
    const rule = MEDIA_RULES[kind];
    const r = await fetchLink(link, {
      maxBytes: rule.maxBytes,
      ownOrigin: new URL(sb.config.publicUrl).origin,
      checkType: (mime) => (rule.types.includes(mime) ? null : checkMedia(kind, mime, 0)),
    });
    if (!r.ok) problem = r.details;
    else {
      problem = checkMedia(kind, r.mimeType, r.bytes.length);
      if (problem === null) {
        const id = newNumericId();
        await putMedia(sb.db, sb.cipher, { id, mimeType: r.mimeType, sha256: sha256Hex(r.bytes), filename: null, origin: 'business', createdAt: sb.clock.now(), bytes: r.bytes });
        await updateContent(sb.db, sb.cipher, wamid, (view) => (typeof view === 'object' && view !== null ? { ...view, mediaId: id, mimeType: r.mimeType } : view));
      }
    }
  } catch {
    problem = 'Downloading the media from the link failed.';
  }
  if (problem === null) return queueDelivery(sb, wamid, patient, v.callbackData, null, false);
  await sb.dispatcher.enqueue({
    kind: 'status:failed', refWamid: wamid, delayMs: 0,
    payload: statusWebhook(sb.business, { wamid, status: 'failed', at: sb.clock.now(), waId: patient.waId, bsuid: patient.bsuid, callbackData: v.callbackData, category: null, error: { code: 131053, title: 'Media upload error', details: problem } }),
  });
}

type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

function mediaRef(v: ValidMessage, rendered: RenderedTemplate | null): { kind: MediaKind; id: string | undefined; link: string | undefined; filename: string | null } | null {
  switch (v.type) {
    case 'image': case 'video': case 'audio': case 'document': case 'sticker':
      return { kind: v.type, id: v.content.id, link: v.content.link, filename: v.content.filename ?? null };
    case 'interactive': {
      const c = v.content;
      const h = c.type === 'button' || c.type === 'cta_url' ? c.header : undefined;
      if (!h || h.type === 'text') return null;
      const m = h.type === 'image' ? h.image : h.type === 'video' ? h.video : h.document;
      return { kind: h.type, id: m.id, link: m.link, filename: m.filename ?? null };
    }
    case 'template': {
      const h = rendered?.header;
      if (!h || h.kind === 'text' || h.kind === 'location') return null;
      return { kind: h.kind, id: h.id ?? undefined, link: h.link ?? undefined, filename: h.filename };
    }
    default:
      return null;
  }
}

function componentsOf(stored: unknown): StoredComponent[] {
  return Array.isArray(stored) ? stored.filter((c): c is StoredComponent => typeof c === 'object' && c !== null && 'type' in c) : [];
}

/** Mark as read (and maybe the typing indicator): blue ticks on that message and every earlier one. */
export async function markRead(sb: Sandbox, messageId: string, typing: boolean): Promise<GraphReply> {
  const m = await findMessage(sb.db, sb.cipher, messageId);
  if (!m || m.direction !== 'in') return graphError(400, 100, 'Invalid parameter', 'Param message_id is not the id of a message this number received');
  await markEarlierRead(sb.db, m.patientId, m.id);
  await advanceStatus(sb.db, m.wamid, 'read');
  if (typing) await setTyping(sb.db, m.patientId, new Date(sb.clock.now().getTime() + TYPING_MS));
  sb.changed(m.patientId);
  return ok({ success: true });
}

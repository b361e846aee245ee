// What a simulated patient's phone does: send text, tap reply buttons, list rows and template quick replies,
// share a location, send a photo or PDF, and show the business's messages (which sends `read`). Each
// action becomes what WhatsApp would send the business: a signed webhook to /webhooks/whatsapp.
import { z } from 'zod';
import { checkUpload, kindOfMime, sha256Base64, sha256Hex } from './media-rules.js';
import { advanceStatus, findMessage, insertMessage, putMedia, touchInbound, type SimMessage, type SimPatient } from './repo.js';
import type { Sandbox } from './sandbox.js';
import { interactiveSchema, locationSchema } from './validate.js';
import { messageWebhook, newNumericId, newWamid, statusWebhook } from './webhooks.js';

/** What the phone page may send; buttons are named by the tapped message and the option's id. */
export const phoneInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().trim().min(1).max(4096) }),
  z.object({ type: z.literal('reply'), context: z.string().min(1).max(512), id: z.string().min(1).max(256) }),
  z.object({ type: z.literal('template_button'), context: z.string().min(1).max(512), index: z.number().int().min(0).max(9) }),
  z.object({ type: z.literal('location'), latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().max(256).optional(), address: z.string().max(512).optional() }),
]);
export type PhoneInput = z.output<typeof phoneInputSchema>;

export class PhoneError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'PhoneError';
  }
}

const viewSchema = z.object({
  wire: z.unknown(),
  template: z.object({ buttons: z.array(z.object({ kind: z.string(), index: z.number(), text: z.string(), payload: z.string().optional() })) }).loose().nullable(),
}).loose();

/** The reply object for a tap on `tapped`, as WhatsApp builds it from the message the patient saw. */
function replyFor(tapped: SimMessage, input: Extract<PhoneInput, { type: 'reply' | 'template_button' }>): Record<string, unknown> {
  const view = viewSchema.safeParse(tapped.content);
  if (!view.success) throw new PhoneError('not_tappable', 'this message has no buttons');
  if (input.type === 'template_button') {
    const b = view.data.template?.buttons.find((x) => x.index === input.index && x.kind === 'quick_reply');
    if (!b) throw new PhoneError('no_such_button', 'this template has no quick-reply button at that position');
    return { type: 'button', button: { payload: b.payload ?? b.text, text: b.text } };
  }
  const wire = interactiveSchema.safeParse(view.data.wire);
  if (!wire.success) throw new PhoneError('not_tappable', 'this message has no buttons or list');
  const i = wire.data;
  if (i.type === 'button') {
    const b = i.action.buttons.find((x) => x.reply.id === input.id);
    if (!b) throw new PhoneError('no_such_button', 'no button with this id');
    return { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: b.reply.id, title: b.reply.title } } };
  }
  if (i.type === 'list') {
    const row = i.action.sections.flatMap((s) => s.rows).find((r) => r.id === input.id);
    if (!row) throw new PhoneError('no_such_row', 'no list row with this id');
    return { type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: row.id, title: row.title, ...(row.description ? { description: row.description } : {}) } } };
  }
  throw new PhoneError('not_tappable', 'this message has no reply buttons or list');
}

/** Stores the patient's message (one grey tick) and queues its webhook; the tick doubles once the app took it. */
async function deliverInbound(sb: Sandbox, patient: SimPatient, body: Record<string, unknown>, contextWamid: string | null): Promise<SimMessage> {
  const now = sb.clock.now();
  const wamid = newWamid(patient.waId);
  const type = String(body['type']);
  const message = {
    ...(contextWamid ? { context: { from: sb.business.displayPhoneNumber, id: contextWamid } } : {}),
    id: wamid,
    timestamp: String(Math.floor(now.getTime() / 1000)),
    ...body,
  };
  const stored = await insertMessage(sb.db, sb.cipher, { patientId: patient.id, direction: 'in', wamid, type, content: message, status: 'sent', contextWamid, now });
  await touchInbound(sb.db, patient.id, now);
  await sb.dispatcher.enqueue({ kind: 'message', refWamid: wamid, delayMs: 0, payload: messageWebhook(sb.business, { name: patient.name, waId: patient.waId, bsuid: patient.bsuid }, message) });
  sb.changed(patient.id);
  return stored;
}

export async function patientSends(sb: Sandbox, patient: SimPatient, input: PhoneInput): Promise<SimMessage> {
  switch (input.type) {
    case 'text':
      return deliverInbound(sb, patient, { type: 'text', text: { body: input.text } }, null);
    case 'location': {
      const location = locationSchema.parse({ latitude: input.latitude, longitude: input.longitude, ...(input.name ? { name: input.name } : {}), ...(input.address ? { address: input.address } : {}) });
      return deliverInbound(sb, patient, { type: 'location', location }, null);
    }
    case 'reply':
    case 'template_button': {
      const tapped = await findMessage(sb.db, sb.cipher, input.context);
      if (!tapped || tapped.patientId !== patient.id || tapped.direction !== 'out') throw new PhoneError('unknown_message', 'the tapped message is not in this chat');
      return deliverInbound(sb, patient, replyFor(tapped, input), tapped.wamid);
    }
  }
}

/** A photo or document from the phone: stored in the simulated media store, then sent by its media id. */
export async function patientSendsMedia(sb: Sandbox, patient: SimPatient, file: { bytes: Buffer; mime: string; filename: string | null; caption: string | null }): Promise<SimMessage> {
  const problem = checkUpload(file.mime, file.filename, file.bytes);
  if (problem !== null) throw new PhoneError('unsupported_media', problem);
  const kind = kindOfMime(file.mime);
  if (kind !== 'image' && kind !== 'document') throw new PhoneError('unsupported_media', 'send a JPEG or PNG photo, or a document such as a PDF');
  const id = newNumericId();
  await putMedia(sb.db, sb.cipher, { id, mimeType: file.mime, sha256: sha256Hex(file.bytes), filename: file.filename, origin: 'patient', createdAt: sb.clock.now(), bytes: file.bytes });
  const media: Record<string, unknown> = { mime_type: file.mime, sha256: sha256Base64(file.bytes), id };
  if (file.caption) media['caption'] = file.caption;
  if (kind === 'document') media['filename'] = file.filename ?? 'document';
  return deliverInbound(sb, patient, { type: kind, [kind]: media }, null);
}

/**
 * The phone showed these business messages: WhatsApp sends `read` (blue ticks for the business). Only
 * messages of this chat that were not failed; the store moves at once so that a second report is a no-op.
 */
export async function phoneShowed(sb: Sandbox, patient: SimPatient, wamids: readonly string[]): Promise<number> {
  let n = 0;
  for (const wamid of wamids.slice(0, 100)) {
    const m = await findMessage(sb.db, sb.cipher, wamid);
    if (!m || m.patientId !== patient.id || m.direction !== 'out' || m.type === 'reaction' || m.status === 'failed' || m.status === 'read') continue;
    if (!(await advanceStatus(sb.db, wamid, 'read'))) continue;
    const view = viewSchema.safeParse(m.content);
    const isTemplate = view.success && view.data.template !== null;
    // `read` never precedes `sent` at Meta: wait until the earlier statuses have had their turn.
    const delayMs = Math.max(0, m.createdAt.getTime() + 600 - sb.clock.now().getTime());
    await sb.dispatcher.enqueue({
      kind: 'status:read', refWamid: wamid, delayMs,
      payload: statusWebhook(sb.business, { wamid, status: 'read', at: sb.clock.now(), waId: patient.waId, bsuid: patient.bsuid, callbackData: m.callbackData, category: isTemplate ? 'utility' : null }),
    });
    n++;
  }
  if (n) sb.changed(patient.id);
  return n;
}

/** What the page renders for one message. */
export function messageView(m: SimMessage) {
  return { wamid: m.wamid, direction: m.direction, type: m.type, status: m.status, errorCode: m.errorCode, at: m.createdAt.toISOString(), context: m.contextWamid, content: m.content, rev: m.rev };
}


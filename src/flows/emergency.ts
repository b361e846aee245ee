// The reply to a red-flag emergency (src/nlu/redflags): the first message carries the clinic's emergency
// number in the patient's language, what to do while waiting (generic, never diagnostic), that staff have
// been alerted, and for suicidal thoughts or self-harm the clinic's crisis line when it has one. Pure: the
// engine calls it first on every inbound text with a red flag, opens the emergency handoff and raises the
// staff alert itself.
import type { ClinicView, Translate } from '../conversation/flow.js';
import { CRISIS_KINDS } from '../conversation/flow.js';
import type { RedFlag } from '../nlu/types.js';
import { replyButtons, text, type OutboundMessage } from '../whatsapp/outbound.js';

/** The id of the second message's button: the handoff flow's "talk to a person". */
export const EMERGENCY_TALK_ID = 'handoff:human';

export function emergencyReply(flags: readonly RedFlag[], clinic: ClinicView, t: Translate): OutboundMessage[] {
  const number = clinic.emergencyNumber;
  const kinds = new Set(flags.map((f) => f.kind));
  const crisis = CRISIS_KINDS.some((k) => kinds.has(k));
  const lines = [t('emergency.callNow', { number }), t('emergency.intro', { number })];
  if (crisis) {
    lines.push(t('emergency.selfHarm'));
    if (clinic.crisisLine !== null && clinic.crisisLine.trim() !== '') lines.push(t('emergency.crisisLine', { crisisLine: clinic.crisisLine }));
  }
  if (kinds.has('poisoning')) lines.push(t('emergency.poisoning'));
  lines.push(t('emergency.whileWaiting'));
  lines.push(t('emergency.staffAlerted', { number }));
  return [
    text(lines.join('\n\n')),
    replyButtons({ body: t('emergency.talkBody', { number }), buttons: [{ id: EMERGENCY_TALK_ID, title: t('emergency.talkButton') }] }),
  ];
}

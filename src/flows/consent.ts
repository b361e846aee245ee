// Opting out or back in by writing it in a sentence ("please stop sending me messages"), not by a keyword:
// a sentence is less certain than STOP, so the patient confirms with a button, and the confirmation is
// recorded through the same compliance functions as the keyword (effect `consent`) and confirmed with the
// keyword's own confirmation text.
import type { Flow } from '../conversation/flow.js';
import { CONSENT_WORDS } from '../compliance/index.js';
import { replyButtons, text } from '../whatsapp/outbound.js';
import { done, tappedId } from './common.js';

export const consentFlow: Flow<never> = {
  name: 'consent',
  version: 1,
  async start(input, ctx) {
    const id = tappedId(input.message);
    const words = CONSENT_WORDS.get(ctx.language) ?? CONSENT_WORDS.get('en')!;
    if (id === 'consent:optout') return done([text(words.confirmOptOut)], [{ type: 'consent', granted: false, source: 'chat:confirm', language: ctx.language }]);
    if (id === 'consent:optin') return done([text(words.confirmOptIn)], [{ type: 'consent', granted: true, source: 'chat:confirm', language: ctx.language }]);
    if (id === 'consent:keep') return done([text(ctx.t('common.keptAsIs'))]);
    const optIn = input.nlu?.intent === 'opt_in';
    return done([replyButtons({
      body: ctx.t(optIn ? 'common.optInAskBody' : 'common.optOutAskBody'),
      buttons: [
        { id: optIn ? 'consent:optin' : 'consent:optout', title: ctx.t(optIn ? 'common.optInYesButton' : 'common.optOutYesButton') },
        { id: 'consent:keep', title: ctx.t('common.keepButton') },
      ],
    })]);
  },
  async step(_state, input, ctx) {
    return this.start(input, ctx);
  },
};

// The clinic's FAQ in chat: a topic tapped (`faq:<topic>`), an FAQ intent, or any question the FAQ matches on
// meaning gets the staff-written answer and "anything else?" with menu buttons; `menu:faq` lists the topics.
// An FAQ intent the clinic has no entry for goes to staff (a handoff), never a made-up answer.
import type { FaqAnswer, Flow, FlowContext, StepInput, StepResult } from '../conversation/flow.js';
import { list, text } from '../whatsapp/outbound.js';
import { anythingElse, done, tappedId } from './common.js';
import { handTo } from './handoff.js';

export const FAQ_TOPICS = ['opening_hours', 'location', 'insurance', 'payment', 'accessibility', 'what_to_bring', 'cancellation_policy'] as const;
export const FAQ_INTENTS: ReadonlySet<string> = new Set(['opening_hours', 'location', 'insurance', 'payment', 'accessibility']);

/** A topic's title in the language: the catalogue's for the built-in topics, else the one staff gave it. */
export function topicTitle(ctx: FlowContext, topic: string, staffTitle?: string): string {
  const key = `faq.topic_${topic}Button`;
  const title = ctx.t(key);
  if (title !== key) return title;
  const own = staffTitle?.trim() || topic.replace(/[_-]/g, ' ');
  return [...own].length <= 20 ? own : `${[...own].slice(0, 19).join('')}…`;
}

export function answerWith(ctx: FlowContext, a: FaqAnswer): StepResult<never> {
  const body = a.link ? `${a.answer}\n\n${ctx.t('faq.more', { link: a.link })}` : a.answer;
  return done([text(body.slice(0, 4096)), anythingElse(ctx)]);
}

async function topics(ctx: FlowContext): Promise<StepResult<never>> {
  const found = await ctx.faq.topics(ctx.language);
  const listed = found.length > 0 ? found : FAQ_TOPICS.map((topic) => ({ topic, title: topic }));
  const rows = listed.slice(0, 10).map((f) => ({ id: `faq:${f.topic}`, title: topicTitle(ctx, f.topic, f.title) }));
  return done([list({ body: ctx.t('faq.topicsBody'), button: ctx.t('faq.topicsButton'), sections: [{ rows }] })]);
}

export const faqFlow: Flow<never> = {
  name: 'faq',
  version: 1,
  async start(input: StepInput, ctx: FlowContext) {
    const id = tappedId(input.message);
    if (id === 'menu:faq' || id === 'faq:topics') return topics(ctx);
    const topic = id?.startsWith('faq:') ? id.slice(4) : (input.nlu && FAQ_INTENTS.has(input.nlu.intent) ? input.nlu.intent : null);
    if (topic !== null) {
      const a = await ctx.faq.answer(topic, ctx.language);
      if (a) return answerWith(ctx, a);
    }
    if (input.text !== null && id === null) {
      const m = await ctx.faq.match(input.text, ctx.language, input.nlu);
      if (m) return answerWith(ctx, m);
    }
    return handTo(ctx, input, 'faq.notFound');
  },
  async step(_state, input, ctx) {
    return this.start(input, ctx);
  },
};

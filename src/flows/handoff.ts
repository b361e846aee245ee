// "Talk to staff" (`handoff:human`, the talk_to_human intent), and what the router hands to staff: results,
// prescriptions. Opens a handoff (the inbox lists it; the bot then stays silent, red flags excepted) and
// tells the patient when to expect an answer.
import type { Flow, FlowContext, StepInput, StepResult } from '../conversation/flow.js';
import type { HandoffReason } from '../db/schema.js';
import { done, withAvailability } from './common.js';

export function handTo(ctx: FlowContext, input: StepInput, bodyKey: string, reason: HandoffReason = 'requested'): StepResult<never> {
  return done([withAvailability(ctx, input.now, ctx.t(bodyKey))], [{ type: 'handoff.open', reason, priority: 'normal' }]);
}

export const handoffFlow: Flow<never> = {
  name: 'handoff',
  version: 1,
  async start(input, ctx) {
    const intent = input.nlu?.intent;
    if (intent === 'lab_results') return handTo(ctx, input, 'handoff.results');
    if (intent === 'prescription_renewal') return handTo(ctx, input, 'handoff.prescription');
    return handTo(ctx, input, 'handoff.requested');
  },
  async step(_state, input, ctx) {
    return this.start(input, ctx);
  },
};

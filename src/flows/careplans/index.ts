// The care-plans flow (issue 15): the patient's answers to care-plan messages (src/careplans).
//   - a medication reminder's Taken / Snooze 30 min: the free-form message's buttons `careplans:taken:<occ>`,
//     `careplans:snooze:<occ>`, or the template's quick replies `taken:<occ>`, `snooze:<occ>` (the router
//     sends both here): the dose marked taken, or a new reminder 30 minutes later (twice at most);
//   - the answer to a vitals prompt ("135/85", "5,8", "118 mg/dl"): the router sends a typed measurement
//     here while the patient has a prompt open; the reading is stored as an observation, confirmed back,
//     and a value outside the clinician's thresholds alerts staff (the patient is told the clinic will look
//     at it: never a diagnosis). Red flags were handled before the router (engine.ts).
// Stateless: every answer finishes the flow; the open prompt is the database's (CarePlansPort).
import type { CarePlansPort, Flow, FlowContext, StepInput, StepResult } from '../../conversation/flow.js';
import { extractMeasurements } from '../../nlu/entities/measurements.js';
import { readingOf, formatReading, type Measure } from '../../careplans/vitals.js';
import { text } from '../../whatsapp/outbound.js';
import { localeOf } from '../i18n.js';
import { mainMenu, tappedId } from '../common.js';
import { dateTimeFormat } from '../../lib/intl.js';

const TAP = /^(?:careplans:)?(taken|snooze):([0-9a-f-]{36})$/i;

const MEASURE_KEY: Record<Measure, string> = {
  glucose: 'careplans.measureGlucose',
  blood_pressure: 'careplans.measureBloodPressure',
  weight: 'careplans.measureWeight',
  temperature: 'careplans.measureTemperature',
  heart_rate: 'careplans.measureHeartRate',
};
const EXAMPLE: Record<Measure, string> = { glucose: '110 mg/dL', blood_pressure: '120/80', weight: '72 kg', temperature: '37.2', heart_rate: '72' };

export const measureName = (ctx: Pick<FlowContext, 't'>, m: Measure): string => ctx.t(MEASURE_KEY[m]);

const done = (outbound: StepResult['outbound'], effects: StepResult['effects'] = []): StepResult<null> => ({ state: null, outbound, effects });

async function onTap(ctx: FlowContext, port: CarePlansPort, action: string, occurrenceId: string, input: StepInput): Promise<StepResult<null>> {
  const r = action === 'taken' ? await port.taken(occurrenceId) : await port.snooze(occurrenceId);
  if (r.ok) {
    if (action === 'taken') return done([text(ctx.t('careplans.takenThanks', { medicine: `${r.medicine} ${r.dose}`.trim() }))]);
    const at = r.until ?? new Date(input.now.getTime() + 30 * 60_000);
    const time = dateTimeFormat(localeOf(ctx.language), { hour: '2-digit', minute: '2-digit', timeZone: ctx.clinic.timeZone }).format(at);
    return done([text(ctx.t('careplans.snoozed', { time }))]);
  }
  const key = r.code === 'snooze_limit' ? 'careplans.snoozeLimit' : r.code === 'already_answered' ? 'careplans.alreadyAnswered' : 'careplans.notFound';
  return done([text(ctx.t(key))]);
}

async function onReading(ctx: FlowContext, port: CarePlansPort, input: StepInput): Promise<StepResult<null> | null> {
  if (input.text === null) return null;
  const open = await port.openVitalsPrompt();
  if (!open) return null;
  const found = input.nlu?.entities.measurements ?? extractMeasurements(input.text);
  const reading = readingOf(open.measure, found);
  if (!reading) return done([text(ctx.t('careplans.notRead', { measure: measureName(ctx, open.measure), example: EXAMPLE[open.measure] }))]);
  const r = await port.recordReading(open.occurrenceId, reading);
  if (!r.ok) return done([text(ctx.t('careplans.notFound'))]);
  const said = ctx.t('careplans.recorded', { value: formatReading(reading, localeOf(ctx.language)) });
  if (r.interpretation === 'normal') return done([text(said)]);
  return done(
    [text(`${said}\n\n${ctx.t('careplans.outOfRange', { emergency: ctx.clinic.emergencyNumber })}`)],
    [{ type: 'alert', kind: 'other', codes: [`vitals_out_of_range:${reading.code}`] }],
  );
}

async function answer(input: StepInput, ctx: FlowContext): Promise<StepResult<null>> {
  const port = ctx.careplans;
  if (!port) return done([mainMenu(ctx)]);
  const id = tappedId(input.message);
  if (id !== null) {
    const tap = TAP.exec(id);
    if (tap) return onTap(ctx, port, tap[1]!.toLowerCase(), tap[2]!, input);
    return { state: null, outbound: [], effects: [], pass: true };
  }
  return (await onReading(ctx, port, input)) ?? { state: null, outbound: [], effects: [], pass: true };
}

export const careplansFlow: Flow<null> = {
  name: 'careplans',
  version: 1,
  start: answer,
  step: (_state, input, ctx) => answer(input, ctx),
};

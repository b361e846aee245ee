// The care-plans flow through the router, pure, with a fake CarePlansPort: vitals answers in six languages
// with their units read as the prompt's measure, stored, confirmed back, out-of-range readings alerting staff
// with the patient told the clinic will look at it; Taken / Snooze taps (free-form buttons and template
// quick replies); words without an open prompt are not taken.
import { describe, expect, it } from 'vitest';
import type { CarePlansPort, OpenVitalsPrompt, VitalsReading } from '../../conversation/flow.js';
import { route, type FlowRegistry } from '../../conversation/router.js';
import type { Language } from '../../nlu/types.js';
import type { InboundMessage } from '../../whatsapp/inbound-model.js';
import { interpret, type Measure } from '../../careplans/vitals.js';
import { careplansFlow } from './index.js';
import { flowContext, tapInput, textInput } from '../triage/testing.js';

const OCC = '0b9c3c1e-6f7a-4f55-9a1e-3f1c2d4e5a6b';
const SESSION = { flow: null, state: null, flowVersion: 1, misses: 0 };
const flows: FlowRegistry = { careplans: careplansFlow as never };

function fakePort(open: OpenVitalsPrompt | null, thresholds: { low: number | null; high: number | null; unit: string } | null = null) {
  const readings: VitalsReading[] = [];
  const calls: string[] = [];
  const port: CarePlansPort = {
    openVitalsPrompt: async () => open,
    taken: async (id) => (calls.push(`taken:${id}`), id === OCC ? { ok: true, medicine: 'Metformin', dose: '500 mg' } : { ok: false, code: 'not_found' }),
    snooze: async (id) => (calls.push(`snooze:${id}`), calls.filter((c) => c.startsWith('snooze')).length > 2 ? { ok: false, code: 'snooze_limit' } : { ok: true, medicine: 'Metformin', dose: '500 mg', until: new Date('2026-03-10T09:30:00Z') }),
    recordReading: async (_id, r) => (readings.push(r), { ok: true, interpretation: interpret(r, thresholds) }),
  };
  return { port, readings, calls };
}

const body = (m: unknown) => JSON.stringify(m);

async function answer(language: Language, words: string, measure: Measure, thresholds: { low: number | null; high: number | null; unit: string } | null = null) {
  const f = fakePort({ occurrenceId: OCC, measure }, thresholds);
  const ctx = { ...flowContext(language), careplans: f.port };
  const r = await route(flows, SESSION, textInput(words), ctx);
  return { r, readings: f.readings, text: r.outbound.map(body).join('\n') };
}

describe('care-plans flow: vitals answers', () => {
  const cases: [Language, string, Measure, Partial<VitalsReading>, string][] = [
    ['en', '118 mg/dl', 'glucose', { code: '2339-0', unit: 'mg/dL', value: 118 }, 'Thank you, 118 mg/dL recorded.'],
    ['fr', 'glycémie 5,8', 'glucose', { code: '15074-8', unit: 'mmol/L', value: 5.8 }, 'Merci, 5,8 mmol/L enregistré.'],
    ['fr', 'tension 13/8', 'blood_pressure', { code: '85354-9', systolic: 130, diastolic: 80 }, 'Merci, 130/80 mmHg enregistré.'],
    ['it', 'pressione 135/85 mmHg', 'blood_pressure', { code: '85354-9', systolic: 135, diastolic: 85 }, 'Grazie, 135/85 mmHg registrato.'],
    ['es', 'peso 72,5 kg', 'weight', { code: '29463-7', unit: 'kg', value: 72.5 }, 'Gracias, 72,5 kg registrado.'],
    ['pt', 'febre 38,2', 'temperature', { code: '8310-5', unit: 'Cel', value: 38.2 }, 'Obrigado, 38,2 °C registado.'],
    ['de', 'Puls 88', 'heart_rate', { code: '8867-4', unit: '/min', value: 88 }, 'Danke, 88 bpm gespeichert.'],
    ['en', '101 F', 'temperature', { code: '8310-5', unit: 'Cel', value: 38.3 }, 'Thank you, 38.3 °C recorded.'],
    ['de', '5,8', 'glucose', { code: '15074-8', unit: 'mmol/L', value: 5.8 }, 'Danke, 5,8 mmol/L gespeichert.'],
  ];
  it.each(cases)('%s "%s" as %s', async (language, words, measure, reading, said) => {
    const { r, readings, text } = await answer(language, words, measure);
    expect(readings).toEqual([expect.objectContaining(reading)]);
    expect(text).toContain(said);
    expect(r.effects).toEqual([]);
    expect(r.flow).toBeNull();
  });

  it('a value above the threshold alerts staff with its LOINC code; the patient is told the clinic will look at it', async () => {
    const { r, text } = await answer('en', '135/85', 'blood_pressure', { low: null, high: 130, unit: 'mm[Hg]' });
    expect(r.effects).toEqual([{ type: 'alert', kind: 'other', codes: ['vitals_out_of_range:85354-9'] }]);
    expect(text).toContain('135/85 mmHg recorded');
    expect(text).toContain('A member of the clinic team will look at this reading');
  });

  it('glucose thresholds in mg/dL apply to a reading in mmol/L (converted)', async () => {
    const low = await answer('fr', '3,2 mmol/l', 'glucose', { low: 70, high: 180, unit: 'mg/dL' }); // 57.7 mg/dL
    expect(low.r.effects).toEqual([{ type: 'alert', kind: 'other', codes: ['vitals_out_of_range:15074-8'] }]);
    const fine = await answer('fr', '5,8 mmol/l', 'glucose', { low: 70, high: 180, unit: 'mg/dL' }); // 104.5 mg/dL
    expect(fine.r.effects).toEqual([]);
  });

  it('a measurement of another kind than asked is not stored: the patient is asked again', async () => {
    const { readings, text } = await answer('en', '120/80', 'glucose');
    expect(readings).toEqual([]);
    expect(text).toContain('I could not read that as your blood glucose');
  });

  it('without an open prompt a number is not taken by the care-plans flow', async () => {
    const f = fakePort(null);
    const r = await route(flows, SESSION, textInput('135/85'), { ...flowContext('en'), careplans: f.port });
    expect(f.readings).toEqual([]);
    expect(r.outbound.map(body).join()).not.toContain('recorded');
  });
});

describe('router: a follow-up template\'s Book quick reply', () => {
  it('goes to the booking flow as booking:start:<service code>', async () => {
    const seen: string[] = [];
    const booking = {
      name: 'booking', version: 1,
      start: async (input: Parameters<typeof route>[2]) => (seen.push(input.message.type === 'button' ? input.message.payload : '?'), { state: null, outbound: [], effects: [] }),
      step: async () => ({ state: null, outbound: [], effects: [] }),
    };
    const base = textInput('Book');
    const message = { ...(base.message as Extract<InboundMessage, { type: 'text' }>), type: 'button', payload: 'book:general-consultation', text: 'Book' } as unknown as InboundMessage;
    await route({ ...flows, booking: booking as never }, SESSION, { ...base, message }, { ...flowContext('en'), careplans: fakePort(null).port });
    expect(seen).toEqual(['booking:start:general-consultation']);
  });
});

describe('care-plans flow: medication taps', () => {
  it('Taken (a free-form button) marks the dose taken', async () => {
    const f = fakePort(null);
    const r = await route(flows, SESSION, tapInput(`careplans:taken:${OCC}`, 'Taken'), { ...flowContext('en'), careplans: f.port });
    expect(f.calls).toEqual([`taken:${OCC}`]);
    expect(r.outbound.map(body).join()).toContain('Metformin 500 mg noted as taken');
  });

  it('Snooze (a template quick reply) asks for the next reminder, twice at most', async () => {
    const f = fakePort(null);
    const ctx = { ...flowContext('fr'), careplans: f.port };
    const quick = (): Parameters<typeof route>[2] => {
      const base = textInput('x');
      const message: InboundMessage = { ...(base.message as Extract<InboundMessage, { type: 'text' }>), type: 'button', payload: `snooze:${OCC}`, text: 'Plus tard (30 min)' } as unknown as InboundMessage;
      return { ...base, message, text: 'Plus tard (30 min)' };
    };
    const first = await route(flows, SESSION, quick(), ctx);
    expect(first.outbound.map(body).join()).toContain('je vous le rappellerai à 10:30'); // Paris time
    await route(flows, SESSION, quick(), ctx);
    const third = await route(flows, SESSION, quick(), ctx);
    expect(third.outbound.map(body).join()).toContain('ne peut plus être reporté');
    expect(f.calls).toEqual([`snooze:${OCC}`, `snooze:${OCC}`, `snooze:${OCC}`]);
  });

  it('another patient\'s occurrence answers that the reminder is no longer current', async () => {
    const f = fakePort(null);
    const r = await route(flows, SESSION, tapInput('careplans:taken:11111111-2222-4333-8444-555555555555'), { ...flowContext('en'), careplans: f.port });
    expect(r.outbound.map(body).join()).toContain('no longer current');
  });
});

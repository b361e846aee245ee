import { describe, expect, it } from 'vitest';
import { extractMeasurements } from './measurements.js';

const only = (text: string) => {
  const m = extractMeasurements(text);
  expect(m, text).toHaveLength(1);
  return m[0]!;
};

describe('measurements', () => {
  it('glucose with units or a glucose word, decimals with a point or a comma', () => {
    expect(only('my sugar this morning: 118 mg/dl')).toMatchObject({ kind: 'glucose', value: 118, unit: 'mg/dL' });
    expect(only('5.8 mmol/L')).toMatchObject({ kind: 'glucose', value: 5.8, unit: 'mmol/L' });
    expect(only('glicemia 110')).toMatchObject({ kind: 'glucose', value: 110, unit: 'mg/dL' });
    expect(only('Blutzucker 6,1')).toMatchObject({ kind: 'glucose', value: 6.1, unit: 'mmol/L' });
    expect(only('glycémie à jeun 0,95 g')).toMatchObject({ kind: 'glucose', value: 0.95 });
  });

  it('blood pressure, with the French cmHg habit read as mmHg', () => {
    expect(only('120/80')).toMatchObject({ kind: 'blood_pressure', systolic: 120, diastolic: 80, unit: 'mm[Hg]' });
    expect(only('135 / 85 mmHg')).toMatchObject({ kind: 'blood_pressure', systolic: 135, diastolic: 85 });
    expect(only('tension 13/8')).toMatchObject({ kind: 'blood_pressure', systolic: 130, diastolic: 80 });
    expect(only('ma tension est à 15/9')).toMatchObject({ systolic: 150, diastolic: 90 });
    expect(extractMeasurements('rdv le 12/03 à 10h')).toEqual([]);
    expect(extractMeasurements('né le 12/03/1985')).toEqual([]);
  });

  it('temperature in Celsius and Fahrenheit', () => {
    expect(only('fever 38.5')).toMatchObject({ kind: 'temperature', value: 38.5, unit: 'Cel' });
    expect(only("j'ai 39°C")).toMatchObject({ kind: 'temperature', value: 39, unit: 'Cel' });
    expect(only('fièvre à 38,5 depuis hier')).toMatchObject({ kind: 'temperature', value: 38.5, unit: 'Cel' });
    expect(only('101 F')).toMatchObject({ kind: 'temperature', value: 101, unit: '[degF]' });
    expect(only('febbre 39 gradi')).toMatchObject({ kind: 'temperature', value: 39 });
  });

  it('weight and heart rate', () => {
    expect(only('I weigh 72 kg')).toMatchObject({ kind: 'weight', value: 72, unit: 'kg' });
    expect(only('pulse 88')).toMatchObject({ kind: 'heart_rate', value: 88, unit: '/min' });
    expect(only('Puls 72')).toMatchObject({ kind: 'heart_rate', value: 72 });
    expect(only('95 bpm')).toMatchObject({ kind: 'heart_rate', value: 95 });
  });

  it('a bare number is a number; text without numbers has none', () => {
    expect(only('5,8')).toEqual({ kind: 'number', value: 5.8, text: '5,8' });
    expect(only(' 118 ')).toMatchObject({ kind: 'number', value: 118 });
    expect(extractMeasurements('I have a cough')).toEqual([]);
  });

  it('several in one message, in order', () => {
    const m = extractMeasurements('tension 14/9, pouls 90, température 38,2');
    expect(m.map((x) => x.kind)).toEqual(['blood_pressure', 'heart_rate', 'temperature']);
  });
});

import { describe, expect, it } from 'vitest';
import { extractPhones, normalizePhone } from './phones.js';

describe('phone numbers', () => {
  it('normalises French national and international forms to E.164', () => {
    expect(extractPhones('call me on 06 12 34 56 78')).toEqual(['+33612345678']);
    expect(extractPhones('0612345678')).toEqual(['+33612345678']);
    expect(extractPhones('tel: 01.23.45.67.89')).toEqual(['+33123456789']);
    expect(extractPhones('+33 6 12 34 56 78')).toEqual(['+33612345678']);
    expect(extractPhones('+33 (0)6 12 34 56 78')).toEqual(['+33612345678']);
    expect(extractPhones('0033612345678')).toEqual(['+33612345678']);
    expect(extractPhones('my number +44 20 7946 0958, or 06-12-34-56-78')).toEqual(['+442079460958', '+33612345678']);
  });

  it('takes another default region when asked', () => {
    expect(normalizePhone('0171 234 5678', 'DE')).toBe('+491712345678');
    expect(normalizePhone('612 345 678', 'ES')).toBe('+34612345678');
  });

  it('leaves dates, blood pressures, times and short numbers alone', () => {
    expect(extractPhones('born 12/03/1985')).toEqual([]);
    expect(extractPhones('12.03.1985')).toEqual([]);
    expect(extractPhones('bp 120/80 at 10:30')).toEqual([]);
    expect(extractPhones('room 12, 3 tablets')).toEqual([]);
  });
});

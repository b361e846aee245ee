// Open or closed, and the next opening, in the location's zone: pinned instants, a closure, and the night
// the clocks go back in Paris (2026-10-25).
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/db.js';
import { seedDemoClinic } from '../scheduling/index.js';
import { clinicView, isOpenAt, nextOpeningAt, UNCONFIGURED, loadClinicFacts, type ClinicFacts } from './clinic.js';

const week = (start: string, end: string) => [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start, end, validFrom: null, validTo: null }));
const facts = (o: Partial<ClinicFacts> = {}): ClinicFacts => ({ ...UNCONFIGURED, timeZone: 'Europe/Paris', hours: week('08:00', '18:00'), ...o });

describe('opening hours in the clinic\'s zone', () => {
  it('is open on a weekday at 11:00 Paris and closed at 21:00, next opening 08:00 Paris the next day', () => {
    expect(isOpenAt(facts(), new Date('2026-12-01T10:00:00Z'))).toBe(true);
    expect(isOpenAt(facts(), new Date('2026-12-01T20:00:00Z'))).toBe(false);
    expect(nextOpeningAt(facts(), new Date('2026-12-01T20:00:00Z'))?.toISOString()).toBe('2026-12-02T07:00:00.000Z');
  });

  it('skips the weekend and a closure', () => {
    const friday = new Date('2026-12-04T18:30:00Z');
    expect(nextOpeningAt(facts(), friday)?.toISOString()).toBe('2026-12-07T07:00:00.000Z');
    const closed = facts({ closures: [{ startsAt: new Date('2026-12-06T23:00:00Z'), endsAt: new Date('2026-12-07T23:00:00Z') }] });
    expect(nextOpeningAt(closed, friday)?.toISOString()).toBe('2026-12-08T07:00:00.000Z');
  });

  it('follows the change of the clocks (08:00 Paris is 06:00 UTC before, 07:00 UTC after 25 October)', () => {
    expect(nextOpeningAt(facts(), new Date('2026-10-23T17:00:00Z'))?.toISOString()).toBe('2026-10-26T07:00:00.000Z');
    expect(nextOpeningAt(facts(), new Date('2026-10-22T17:00:00Z'))?.toISOString()).toBe('2026-10-23T06:00:00.000Z');
  });

  it('without hours is treated as open, with no next opening to announce', () => {
    const v = clinicView(UNCONFIGURED);
    expect(v.isOpen(new Date())).toBe(true);
    expect(v.emergencyNumber).toBe('112');
  });

  it('reads the demo clinic: Paris, 112, the crisis line 3114, the location\'s hours and public holidays', async () => {
    const t = await createTestDatabase();
    try {
      await seedDemoClinic(t.db, { reset: true, now: new Date('2026-12-01T10:00:00Z') });
      const f = await loadClinicFacts(t.db, new Date('2026-12-24T10:00:00Z'));
      expect(f).toMatchObject({ name: 'PatientLine Demo Clinic', emergencyNumber: '112', crisisLine: '3114', timeZone: 'Europe/Paris', defaultLanguage: 'en' });
      // Christmas Day is a closure: 24 December 18:00 Paris → next opening 26 December 09:00 (a Saturday).
      expect(nextOpeningAt(f, new Date('2026-12-24T17:00:00Z'))?.toISOString()).toBe('2026-12-26T08:00:00.000Z');
    } finally {
      await t.close();
    }
  });
});

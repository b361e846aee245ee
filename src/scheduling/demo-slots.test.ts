// The demo clinic is bookable at once: from today (the real date, as in /sandbox), every demo service has
// free slots within the next 14 days, on several days, each inside the service's lead time and horizon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { seedDemoClinic } from './demo-clinic.js';
import { searchSlots } from './slot-search.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoClinic(database.db, { reset: true });
});
afterAll(async () => {
  await database.close();
});

describe('demo clinic slots', () => {
  it('every demo service has free slots on several days of the next 14', async () => {
    const now = new Date();
    const services = await database.db.selectFrom('services').select(['id', 'code', 'lead_time_minutes']).where('active', '=', true).execute();
    expect(services.map((s) => s.code).sort()).toEqual(['blood-test', 'dermatology', 'follow-up', 'general-consultation', 'video-consultation']);
    for (const s of services) {
      const found = await searchSlots(database.db, { serviceId: s.id, from: now, to: new Date(now.getTime() + 14 * 86_400_000), limit: 10_000, now });
      const days = new Set(found.map((f) => f.start.toLocaleDateString('en-CA', { timeZone: 'Europe/Paris' })));
      expect(days.size, s.code).toBeGreaterThanOrEqual(3);
      expect(found.every((f) => f.start.getTime() >= now.getTime() + s.lead_time_minutes * 60_000), s.code).toBe(true);
    }
  });
});

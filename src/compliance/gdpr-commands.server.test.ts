// The operator commands (export-patient, erase-patient) open their own services from the environment: on a
// server they must find rows by the blind indexes the running app wrote (the database's system key), not by
// an index derived from ENCRYPTION_KEY. Server only: the commands open the database from DATABASE_URL.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { messageFrom, person, storeMessage, testWorker } from '../../test/support/inbound.js';
import { startStaffApi, TEST_ENCRYPTION_KEY, type StaffApi } from '../../test/support/staff-api.js';
import { openGdprServices } from './gdpr.js';
import { phoneIndex } from './identifiers.js';

let database: TestDatabase;
let api: StaffApi;
beforeAll(async () => {
  database = await createTestDatabase();
  api = await startStaffApi(database);
});
afterAll(async () => {
  await api.stop();
});

describe('the operator commands\' services', () => {
  it('match rows by the blind indexes the app wrote (the system key), not an index derived from ENCRYPTION_KEY', async () => {
    const who = person();
    const crypt = { cipher: api.services.cipher, keys: api.services.keys };
    const id = await storeMessage(database.db, messageFrom(who, { type: 'text', text: { body: 'hello from the command line' } }), crypt);
    await testWorker(database.db, { instanceId: 'cli-index', crypt }).worker.tick();
    const patientId = (await database.db.selectFrom('inbound_messages').select('patient_id').where('id', '=', id).executeTakeFirstOrThrow()).patient_id;
    expect(patientId).not.toBeNull();
    vi.stubEnv('DATABASE_URL', database.url!);
    vi.stubEnv('ENCRYPTION_KEY', TEST_ENCRYPTION_KEY);
    const services = await openGdprServices();
    try {
      expect(phoneIndex(services.cipher, who.phone)).toBe(phoneIndex(api.services.cipher, who.phone));
      const row = await services.db.selectFrom('patients').select('id').where('wa_id_index', '=', phoneIndex(services.cipher, who.phone)).executeTakeFirst();
      expect(row?.id).toBe(patientId);
    } finally {
      vi.unstubAllEnvs();
      await services.close();
    }
  });
});

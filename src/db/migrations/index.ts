// Numbered migrations, applied in order at start and by `patientline migrate`. Never edit a released one:
// add the next number. Each is a list of single statements so that it runs on PGlite and on PostgreSQL 15+.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { foundation } from './0001-foundation.js';
import { clinic } from './0002-clinic.js';
import { sandbox } from './0003-sandbox.js';
import { statuses } from './0004-statuses.js';
import { inboundOrder } from './0005-inbound-order.js';
import { mediaChunks } from './0006-media-chunks.js';
import { clinicSeed } from './0007-clinic-seed.js';
import { sender } from './0008-sender.js';
import { complianceCore } from './0009-compliance-core.js';
import { staff } from './0010-staff.js';
import { consent } from './0011-consent.js';
import { identifiers } from './0012-identifiers.js';
import { conversation } from './0013-conversation.js';
import { inbox } from './0014-inbox.js';
import { faq } from './0015-faq.js';
import { crisisLine } from './0016-crisis-line.js';
import { appointments } from './0017-appointments.js';
import { serviceTerms } from './0018-service-terms.js';
import { templatesReminders } from './0019-templates-reminders.js';
import { carePlans } from './0021-care-plans.js';
import { carePlanStop } from './0023-care-plan-stop.js';
import { auditHead } from './0024-audit-head.js';
import { auditChains } from './0025-audit-chains.js';
import { outboxFillfactor } from './0026-outbox-fillfactor.js';
import { auditAppend } from './0027-audit-append.js';
import { templateWaits } from './0028-template-waits.js';

function statements(list: readonly string[]): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const s of list) await sql.raw(s).execute(db);
    },
  };
}

export const migrations: Record<string, Migration> = {
  '0001-foundation': statements(foundation),
  '0002-clinic': statements(clinic),
  '0003-sandbox': statements(sandbox),
  '0004-statuses': statements(statuses),
  '0005-inbound-order': statements(inboundOrder),
  '0006-media-chunks': statements(mediaChunks),
  '0007-clinic-seed': statements(clinicSeed),
  '0008-sender': statements(sender),
  '0009-compliance-core': statements(complianceCore),
  '0010-staff': statements(staff),
  '0011-consent': statements(consent),
  '0012-identifiers': statements(identifiers),
  '0013-conversation': statements(conversation),
  '0014-inbox': statements(inbox),
  '0015-faq': statements(faq),
  '0016-crisis-line': statements(crisisLine),
  '0017-appointments': statements(appointments),
  '0018-service-terms': statements(serviceTerms),
  '0019-templates-reminders': statements(templatesReminders),
  '0021-care-plans': statements(carePlans),
  '0023-care-plan-stop': statements(carePlanStop),
  '0024-audit-head': statements(auditHead),
  '0025-audit-chains': statements(auditChains),
  '0026-outbox-fillfactor': statements(outboxFillfactor),
  '0027-audit-append': statements(auditAppend),
  '0028-template-waits': statements(templateWaits),
};

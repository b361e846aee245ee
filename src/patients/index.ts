// The patients domain: who a patient is to WhatsApp (BSUID and/or phone), found or created as their messages
// arrive, and the directory staff search and edit (/api/patients). Conversation, staff, scheduling and
// compliance use patients only through what this file exports.
import type { AppModule } from '../lib/module.js';
import { patientRoutes } from './routes.js';

export { findPatientsByPhone, getPatient, maskPhone, patientIdentifiers, phoneDigits, searchPatients, updatePatient, type DirectoryDeps, type PatientDetail, type PatientSummary } from './directory.js';
export { nameIndexOf, nameWords } from './names.js';
export { csv, csvCell } from './csv.js';
export { consentsOf, DESK } from './routes.js';

/** The patients API under /api/patients (the GDPR routes under it are the compliance module's). */
export function patientsModule(): AppModule {
  return { name: 'patients', api: (ctx) => patientRoutes(ctx) };
}
// arrive. Conversation, staff, scheduling and compliance use patients only through what this file exports.
export {
  findPatientByBsuid,
  findPatientByPhone,
  patientName,
  readPatientCard,
  touchPatient,
  type Identity,
  type Patient,
  type PatientCard,
} from './patients.js';

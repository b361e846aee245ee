// The patients domain: who a patient is to WhatsApp (BSUID and/or phone), found or created as their messages
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

// The compliance domain's public surface: the audit trail (append, list, verify), encryption of PHI at rest
// (the cipher, per-patient data keys), and, as they land, consent, identity verification, export, erasure
// and retention. Its module serves GET /api/audit, the patients' consent and verification routes, and the
// `audit-verify` and `rotate-key` commands.
import { loadConfig } from '../config.js';
import { databaseOptions, openDatabase } from '../db/database.js';
import type { AppModule } from '../lib/module.js';
import { verifyAudit } from './audit.js';
import { auditRoutes } from './audit-routes.js';
import { consentRoutes } from './consent-routes.js';
import { createCipher, loadEncryptionKey } from './crypto.js';
import { kekOf } from './keys.js';
import { rotateKeys } from './rotate-key.js';

export { recordAudit, holdAuditChain, listAudit, verifyAudit, SYSTEM, type AuditActor, type AuditEvent, type AuditDetails } from './audit.js';
export { actorOf } from './actor.js';
export type { Cipher } from './crypto.js';
export { PatientKeyMissingError, type KeyRing } from './keys.js';
export { DATA_MAP, dataMapProblems, type ColumnClass, type TableSpec } from './data-map.js';
export { exportPatient, EXPORT_FORMAT, type PatientExport } from './export.js';
export { purgeExpired, type PurgeResult } from './retention.js';
export { gdprModule, nextPurgeAt, PURGE_JOB, type GdprServices } from './gdpr.js';
export {
  recordConsent, currentConsents, consentHistory, recordMarketingStop, refusedCondition, UnknownPatientError, CONSENT_PURPOSES, CONSENT_CHANNELS,
  type ConsentInput, type ConsentEvent, type ConsentPurpose, type ConsentChannel, type CurrentConsents, type PurposeState,
} from './consent.js';
export {
  verificationService, isVerified, verificationStatus, ONE_TIME_CODE_TEMPLATE, ONE_TIME_CODE_LANGUAGES, CODE_TTL_MS, MAX_ATTEMPTS,
  type VerificationService, type VerificationDeps, type BeginResult, type SubmitResult,
} from './verification.js';
export { consentKeywordStep, keywordDecision, recordChatConsent, matchKeyword, normaliseKeyword, confirmationLanguage, CONSENT_WORDS, KEYWORD_TEXT_VERSION, type KeywordMatch } from './consent-keywords.js';
export { bsuidIndex, maskPhone, normalizePhone, phoneIndex, type BlindIndex, type Crypt } from './identifiers.js';

export function complianceModule(): AppModule {
  return {
    name: 'compliance',
    api: (ctx) => async (app) => {
      await app.register(auditRoutes(ctx.database.db));
      await app.register(consentRoutes(ctx.database.db, ctx.clock));
    },
    commands: {
      'audit-verify': {
        summary: 'check the audit trail\'s hash chains; names the first broken entry',
        usage: 'patientline audit-verify',
        async run() {
          const cfg = loadConfig(process.env);
          const database = await openDatabase(databaseOptions(cfg));
          try {
            const r = await verifyAudit(database.db);
            if (r.ok) {
              process.stdout.write(`audit trail intact: ${r.entries} entries in ${r.chains} chain${r.chains === 1 ? '' : 's'}, head ${r.head}\n`);
              return 0;
            }
            const why = r.reason === 'gap' ? 'is missing' : r.reason === 'chain_mismatch' ? 'does not link to the entry before it' : 'was changed after it was written';
            process.stdout.write(`audit trail broken: entry ${r.brokenAt} of chain ${r.chain} ${why} (${r.entries} entries before it verify)\n`);
            return 1;
          } finally {
            await database.close();
          }
        },
      },
      'rotate-key': {
        summary: 'after ENCRYPTION_KEY changed (old key in ENCRYPTION_KEYS_PREVIOUS): re-wrap every data key and system key, and re-seal values sealed with a previous key, under the new key; safe while the servers run, resumable',
        usage: 'patientline rotate-key   (ENCRYPTION_KEY=new ENCRYPTION_KEYS_PREVIOUS=old; on the embedded database, with the server stopped)',
        async run() {
          const cfg = loadConfig(process.env);
          const { key } = loadEncryptionKey(cfg.encryptionKey, cfg.dataDir);
          const previous = cfg.previousEncryptionKeys.map((k) => Buffer.from(k, 'base64'));
          const keks = [kekOf(key), ...previous.map((k) => kekOf(k))];
          const database = await openDatabase(databaseOptions(cfg));
          try {
            const r = await rotateKeys(database.db, keks, createCipher(key, { previous }));
            const values = Object.entries(r.values).filter(([, n]) => n > 0);
            const total = values.reduce((s, [, n]) => s + n, 0);
            process.stdout.write(`re-wrapped ${r.dataKeys} data keys and ${r.systemKeys} system keys; re-sealed ${total} values${values.length ? ` (${values.map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}\n`);
            if (r.keysLeft > 0) {
              process.stdout.write(`${r.keysLeft} keys are still under a previous key (in use during the run): run rotate-key again\n`);
              return 1;
            }
            process.stdout.write(previous.length ? 'nothing is left under ENCRYPTION_KEYS_PREVIOUS: it can be removed once every instance has restarted without it\n' : 'ENCRYPTION_KEYS_PREVIOUS is empty: nothing else to rotate from\n');
            return 0;
          } finally {
            await database.close();
          }
        },
      },
    },
  };
}

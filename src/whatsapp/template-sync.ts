// Our templates on the WhatsApp Business Account (issue 15): created from their definitions in code
// (templates.ts) and their review status kept in `message_templates`, from three sources that all go through
// `apply` (so a change alerts staff once, whichever source saw it first):
// - sync(): GET /{waba-id}/message_templates, every page;
// - the `message_template_status_update`, `template_category_update` and `message_template_quality_update`
//   webhooks, stored sealed in webhook_other_events by the intake and applied here;
// - ensure(): the rows for every definition × the clinic's languages, and POST /{waba-id}/message_templates for
//   those not created yet (at most 100 creations per hour per WABA, Meta's limit).
// A rejection, a pause, a disabling or a change of category raises a staff alert (kind 'other', PHI-free codes
// naming the template, language and Meta's reason). A definition changed in code under a name Meta already
// reviewed is never resubmitted: an operator alert says to bump the name's `_vN`.
import crypto from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { Cipher } from '../compliance/crypto.js';
import { raiseAlert } from '../conversation/handoff.js';
import type { Db, DbOrTx } from '../db/database.js';
import type { MessageTemplatesTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { errorSummary, type Logger } from '../lib/logger.js';
import { LANGUAGES, isLanguage, type Language } from '../nlu/types.js';
import type { GraphClient, RemoteTemplate } from './graph-client.js';
import { creationRequest, META_LANGUAGE, TEMPLATE_CATEGORIES, TEMPLATE_STATUSES, TEMPLATES, type TemplateCategory, type TemplateDefinition, type TemplateStatus } from './templates.js';

/** The webhook fields this module applies (the intake stores them in webhook_other_events). */
export const TEMPLATE_WEBHOOK_FIELDS = ['message_template_status_update', 'template_category_update', 'message_template_quality_update'] as const;
/** Meta's limit on template creations per WABA and hour. */
export const CREATIONS_PER_HOUR = 100;
/** Sync cadence: every 5 minutes; every 15 s while a template is pending review or not created yet. */
export const SYNC_SLOW_MS = 5 * 60_000;
export const SYNC_FAST_MS = 15_000;
/** A creation Meta refused is tried again after this long (or at once on POST /api/templates/sync). */
const REFUSED_RETRY_MS = 5 * 60_000;
const ALREADY_EXISTS_SUBCODE = 2388024;
const RATE_LIMIT_CODES = new Set([4, 17, 613, 80007]);
/** Statuses that stop sends: staff hear of them. */
const ALERTING: ReadonlySet<string> = new Set(['REJECTED', 'PAUSED', 'DISABLED']);
const LIST_FIELDS = 'name,language,status,category,id,rejected_reason';
const WEBHOOK_BATCH = 100;

type Row = Pick<Selectable<MessageTemplatesTable>, 'name' | 'language' | 'meta_language' | 'category' | 'status' | 'meta_id' | 'reason' | 'definition_hash'>;

/** Meta's creation budget, shared by the worker and the API in one process (a sliding hour). */
export class CreationBudget {
  private readonly at: number[] = [];
  constructor(readonly perHour = CREATIONS_PER_HOUR) {}
  take(now: Date): boolean {
    const t = now.getTime();
    while (this.at.length > 0 && (this.at[0] ?? 0) <= t - 3_600_000) this.at.shift();
    if (this.at.length >= this.perHour) return false;
    this.at.push(t);
    return true;
  }
}

export interface TemplateSyncDeps {
  db: Db;
  graph: GraphClient;
  /** Opens webhook_other_events payloads (ENCRYPTION_KEY). */
  cipher: Cipher;
  clock: Clock;
  log: Logger;
  budget?: CreationBudget;
  /** The definitions to keep on the WABA (default: every entry of TEMPLATES). */
  templates?: readonly TemplateDefinition[];
}

export interface EnsureReport { created: number; adopted: number; refused: number; limited: boolean }
export interface SyncReport { listed: number; changed: number; alerts: number }

/** A change seen by one source; undefined fields are left as they are. */
interface Change { status?: TemplateStatus; category?: TemplateCategory; reason?: string | null; metaId?: string }

/** The hash a row's definition is compared with: the creation request, as JSON. */
export function definitionHash(def: TemplateDefinition, language: Language): string {
  return crypto.createHash('sha256').update(JSON.stringify(creationRequest(def, language))).digest('hex');
}

/** Meta writes locales as en_US in the API and en-US in some webhooks. */
const sameLanguage = (a: string, b: string) => a.replace('-', '_').toLowerCase() === b.replace('-', '_').toLowerCase();
const isStatus = (s: string): s is TemplateStatus => TEMPLATE_STATUSES.some((x) => x === s);
const isCategory = (s: string): s is TemplateCategory => TEMPLATE_CATEGORIES.some((x) => x === s);
const statusOf = (s: string | undefined | null): TemplateStatus | null => {
  const up = s?.toUpperCase();
  return up !== undefined && isStatus(up) ? up : null;
};
const categoryOf = (s: string | undefined | null): TemplateCategory | null => {
  const up = s?.toUpperCase();
  return up !== undefined && isCategory(up) ? up : null;
};
/** Meta's reason as we keep it: 'NONE' and blanks are no reason; one line, bounded. */
const reasonOf = (s: string | null | undefined): string | null => {
  const v = s?.replace(/\s+/g, ' ').trim();
  return !v || v.toUpperCase() === 'NONE' ? null : v.slice(0, 300);
};
/** Alert codes are words without spaces (they are shown and filtered as codes). */
const code = (s: string) => s.replace(/[^A-Za-z0-9_.:>-]+/g, '_').slice(0, 120);

/** The languages the clinic speaks (its first clinic's), all six when none is configured. */
export async function clinicLanguages(db: DbOrTx): Promise<Language[]> {
  const row = await db.selectFrom('clinics').select('languages').orderBy('created_at').limit(1).executeTakeFirst();
  const langs = (row?.languages ?? []).map((l) => l.toLowerCase().split(/[-_]/)[0] ?? '').filter(isLanguage);
  return langs.length > 0 ? [...new Set(langs)] : [...LANGUAGES];
}

/**
 * The template's review status for a sender: only APPROVED may go out. `language` is ours ('pt') or Meta's
 * ('pt_PT'). A template we have no row for is NOT_CREATED.
 */
export async function templateStatus(db: DbOrTx, name: string, language: string): Promise<TemplateStatus> {
  const row = await db.selectFrom('message_templates').select('status').where('name', '=', name)
    .where((eb) => eb.or([eb('language', '=', language), eb('meta_language', '=', language)]))
    .executeTakeFirst();
  return statusOf(row?.status) ?? 'NOT_CREATED';
}

/** The customer-service window, with a margin: a message queued at 23 h 50 may leave after 24 h. */
const WINDOW_MS = 24 * 3_600_000 - 15 * 60_000;

/** Whether the patient wrote recently enough for a free-form message (else only an approved template goes). */
export function inCustomerWindow(lastInboundAt: Date | null, now: Date): boolean {
  return lastInboundAt !== null && now.getTime() - lastInboundAt.getTime() < WINDOW_MS;
}

export type TemplateGate = { kind: 'approved' } | { kind: 'later'; at: Date; reason: string } | { kind: 'unusable'; reason: string };

const WAIT_PREFIX = 'template_pending:';

/** The reason a scheduled message held back for its template records (migration 0028). */
export function templateWaitReason(name: string, language: string): string {
  return `${WAIT_PREFIX}${name}:${language}`;
}

/**
 * SQL that is true for a row of `table` (reminders, care plan occurrences) held back for a template that is now
 * approved: the worker's round makes such rows due at once (releaseTemplateWaits).
 */
function heldForApproved(table: string) {
  return sql<boolean>`${sql.ref(`${table}.reason`)} like ${`${WAIT_PREFIX}%`} and exists (
    select 1 from message_templates t where t.status = 'APPROVED' and ${sql.ref(`${table}.reason`)} = ${WAIT_PREFIX} || t.name || ':' || t.language)`;
}

/**
 * Makes due now the scheduled rows of `table` that wait for a template approved since: they are decided again
 * (quiet hours, opt-out and the window are checked as for any), not at their retry. Returns how many.
 */
export async function releaseTemplateWaits(db: DbOrTx, table: 'reminders' | 'care_plan_occurrences', now: Date): Promise<number> {
  const r = await db.updateTable(table).set({ due_at: now, reason: null })
    .where('state', '=', 'scheduled').where('reason', 'is not', null).where('due_at', '>', now)
    .where(heldForApproved(table))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Whether a business-initiated send may use a template now: approved; still in review and `canWaitUntil`
 * the retry (then try again at `at`, or as soon as it is approved: the row records `reason`,
 * templateWaitReason); or not usable (rejected, paused, disabled, or the wait would be too late): `reason` is
 * `template_<status>`, and one open staff alert per template, language and status says so.
 */
export async function templateGate(tx: DbOrTx, o: { name: string; language: Language; now: Date; retryMs: number; canWaitUntil(at: Date): boolean }): Promise<TemplateGate> {
  const status = await templateStatus(tx, o.name, o.language);
  if (status === 'APPROVED') return { kind: 'approved' };
  const retry = new Date(o.now.getTime() + o.retryMs);
  if ((status === 'PENDING' || status === 'NOT_CREATED' || status === 'IN_APPEAL') && o.canWaitUntil(retry)) return { kind: 'later', at: retry, reason: templateWaitReason(o.name, o.language) };
  const code = `template_not_approved:${o.name}:${o.language}:${status.toLowerCase()}`;
  const open = await tx.selectFrom('staff_alerts').select('id').where('acknowledged_at', 'is', null).where(sql<boolean>`${code} = any(codes)`).executeTakeFirst();
  if (!open) await raiseAlert(tx, { kind: 'other', patientId: null, codes: [code], now: o.now });
  return { kind: 'unusable', reason: `template_${status.toLowerCase()}` };
}

export interface TemplateItem {
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateStatus;
  reason: string | null;
  metaId: string | null;
  syncedAt: Date | null;
}

/** Every row, by name then language: what GET /api/templates lists. */
export async function listTemplateRows(db: DbOrTx): Promise<TemplateItem[]> {
  const rows = await db.selectFrom('message_templates').select(['name', 'language', 'category', 'status', 'reason', 'meta_id', 'synced_at']).orderBy('name').orderBy('language').execute();
  return rows.map((r) => ({ name: r.name, language: r.language, category: r.category, status: statusOf(r.status) ?? 'NOT_CREATED', reason: r.reason, metaId: r.meta_id, syncedAt: r.synced_at ? new Date(r.synced_at) : null }));
}

async function operatorAlertOnce(db: DbOrTx, alertCode: string, message: string): Promise<boolean> {
  const open = await db.selectFrom('operator_alerts').select('id').where('code', '=', alertCode).where('resolved_at', 'is', null).executeTakeFirst();
  if (open) return false;
  await db.insertInto('operator_alerts').values({ code: alertCode, message }).execute();
  return true;
}

const statusWebhook = z.object({
  event: z.string(),
  message_template_id: z.union([z.number(), z.string()]).optional(),
  message_template_name: z.string().optional(),
  message_template_language: z.string().optional(),
  reason: z.string().nullable().optional(),
  other_info: z.object({ title: z.string().optional(), description: z.string().optional() }).loose().optional(),
}).loose();
const categoryWebhook = z.object({
  message_template_id: z.union([z.number(), z.string()]).optional(),
  message_template_name: z.string().optional(),
  message_template_language: z.string().optional(),
  previous_category: z.string().optional(),
  new_category: z.string().optional(),
  correct_category: z.string().optional(),
  category_update_timestamp: z.number().optional(),
}).loose();
const qualityWebhook = z.object({
  message_template_id: z.union([z.number(), z.string()]).optional(),
  message_template_name: z.string().optional(),
  message_template_language: z.string().optional(),
  new_quality_score: z.string().optional(),
}).loose();

export class TemplateSync {
  private readonly budget: CreationBudget;
  private readonly defs: readonly TemplateDefinition[];
  /** Creations Meta refused, by name:language → when to try again. */
  private readonly refusedUntil = new Map<string, number>();

  constructor(private readonly d: TemplateSyncDeps) {
    this.budget = d.budget ?? new CreationBudget();
    this.defs = d.templates ?? Object.values(TEMPLATES);
  }

  /** Webhooks, then ensure (which syncs first): POST /api/templates/sync and each worker round. */
  async run(o: { retryRefused?: boolean } = {}): Promise<{ webhooks: number; ensure: EnsureReport }> {
    const webhooks = await this.processWebhooks();
    const ensure = await this.ensure(o);
    return { webhooks, ensure };
  }

  /**
   * The rows for every definition in the clinic's languages; lists the WABA (adopting what exists there),
   * then creates what is still missing, within Meta's hourly budget.
   */
  async ensure(o: { retryRefused?: boolean } = {}): Promise<EnsureReport> {
    const { db, clock } = this.d;
    const languages = await clinicLanguages(db);
    const rows = await this.rows();
    const wanted = this.defs.flatMap((def) => languages.map((language) => ({ def, language, hash: definitionHash(def, language) })));
    for (const w of wanted) {
      const row = rows.get(`${w.def.name}:${w.language}`);
      if (!row) {
        await db.insertInto('message_templates')
          .values({ name: w.def.name, language: w.language, meta_language: META_LANGUAGE[w.language], category: w.def.category, definition_hash: w.hash })
          .onConflict((oc) => oc.columns(['name', 'language']).doNothing()).execute();
      } else if (row.definition_hash !== w.hash) {
        if (row.status === 'NOT_CREATED' && row.meta_id === null) {
          // Never submitted: nothing reviewed to contradict, the new text is what gets created.
          await db.updateTable('message_templates').set({ definition_hash: w.hash, category: w.def.category, updated_at: clock.now() })
            .where('name', '=', row.name).where('language', '=', row.language).execute();
        } else {
          await operatorAlertOnce(db, code(`template_changed:${w.def.name}:${w.language}`),
            `Template ${w.def.name} (${w.language}) changed in code, but Meta keeps the text it reviewed under that name. Give the definition a new name (bump its _vN suffix) to have it created and reviewed.`);
        }
      }
    }
    await this.sync();

    const report: EnsureReport = { created: 0, adopted: 0, refused: 0, limited: false };
    const now = clock.now();
    const missing = await db.selectFrom('message_templates').select(['name', 'language', 'meta_language', 'category', 'status', 'meta_id', 'reason', 'definition_hash'])
      .where('status', '=', 'NOT_CREATED').orderBy('name').orderBy('language').execute();
    for (const row of missing) {
      const w = wanted.find((x) => x.def.name === row.name && x.language === row.language);
      if (!w || w.hash !== row.definition_hash) continue;
      const key = `${row.name}:${row.language}`;
      if (!o.retryRefused && (this.refusedUntil.get(key) ?? 0) > now.getTime()) continue;
      if (!this.budget.take(now)) {
        report.limited = true;
        this.d.log.warn({ limit: this.budget.perHour }, 'template creations paused: the hourly budget of the WhatsApp Business Account is used');
        break;
      }
      const r = await this.d.graph.createTemplate(creationRequest(w.def, w.language));
      if (r.ok) {
        this.refusedUntil.delete(key);
        const category = categoryOf(r.category);
        await this.apply(db, row, { status: statusOf(r.status) ?? 'PENDING', metaId: r.id, reason: null, ...(category ? { category } : {}) }, { synced: true });
        report.created++;
        continue;
      }
      const text = `${r.error.title ?? ''} ${r.error.details ?? ''}`;
      if (r.subcode === ALREADY_EXISTS_SUBCODE || (r.error.code === 100 && /already exists/i.test(text))) {
        // Created by an earlier attempt whose answer was lost, or by another instance: adopt what Meta has.
        const found = (await this.d.graph.listTemplates({ fields: LIST_FIELDS, name: row.name, limit: '100' }))
          .find((t) => t.name === row.name && sameLanguage(t.language, row.meta_language));
        if (found) {
          await this.apply(db, row, this.changeOf(found), { synced: true });
          report.adopted++;
        }
        continue;
      }
      if (r.error.code !== null && RATE_LIMIT_CODES.has(r.error.code)) {
        this.d.log.warn({ code: r.error.code }, 'template creations paused: Graph API rate limit');
        report.limited = true;
        break;
      }
      report.refused++;
      this.refusedUntil.set(key, now.getTime() + REFUSED_RETRY_MS);
      const why = `(#${r.error.code ?? r.error.httpStatus}) ${text.trim()}`.slice(0, 300);
      await db.updateTable('message_templates').set({ reason: `creation refused: ${why}`, updated_at: now }).where('name', '=', row.name).where('language', '=', row.language).execute();
      await operatorAlertOnce(db, code(`template_refused:${row.name}:${row.language}`), `Meta refused to create template ${row.name} (${row.language}): ${why}`);
      this.d.log.warn({ template: row.name, language: row.language, code: r.error.code }, 'Meta refused a template creation');
    }
    return report;
  }

  /** Lists the WABA's templates and applies their status, category and reason to our rows. */
  async sync(): Promise<SyncReport> {
    const { db } = this.d;
    const remote = await this.d.graph.listTemplates({ fields: LIST_FIELDS, limit: '100' });
    const rows = await this.rows();
    const report: SyncReport = { listed: remote.length, changed: 0, alerts: 0 };
    for (const row of rows.values()) {
      const r = remote.find((t) => t.name === row.name && sameLanguage(t.language, row.meta_language));
      if (r) {
        const { changed, alerts } = await db.transaction().execute((tx) => this.apply(tx, row, this.changeOf(r), { synced: false }));
        if (changed) report.changed++;
        report.alerts += alerts;
      } else if (row.status !== 'NOT_CREATED' || row.meta_id !== null) {
        // Gone from the WABA (deleted there, or a test stand-in restarted): created again by ensure.
        await db.updateTable('message_templates').set({ status: 'NOT_CREATED', meta_id: null, reason: 'not found on the WhatsApp Business Account', updated_at: this.d.clock.now() })
          .where('name', '=', row.name).where('language', '=', row.language).execute();
        report.changed++;
      }
    }
    // Every row was compared with the WABA's list just now.
    if (rows.size > 0) await db.updateTable('message_templates').set({ synced_at: this.d.clock.now() }).execute();
    return report;
  }

  /** Applies the template webhooks the intake stored, oldest first; returns how many were handled. */
  async processWebhooks(limit = WEBHOOK_BATCH): Promise<number> {
    // Most ticks find nothing: look before opening a transaction.
    const any = await this.d.db.selectFrom('webhook_other_events').select('id').where('processed_at', 'is', null).where('field', 'in', TEMPLATE_WEBHOOK_FIELDS).limit(1).executeTakeFirst();
    if (!any) return 0;
    return this.d.db.transaction().execute(async (tx) => {
      const events = await tx.selectFrom('webhook_other_events').select(['id', 'field', 'payload'])
        .where('processed_at', 'is', null).where('field', 'in', TEMPLATE_WEBHOOK_FIELDS)
        .orderBy('id').limit(limit).forUpdate().skipLocked().execute();
      for (const e of events) {
        try {
          await this.applyWebhook(tx, e.field, this.d.cipher.decryptJson(e.payload));
        } catch (err) {
          // An event we cannot read is not retried forever; its kind and error name are enough to look into it.
          this.d.log.warn({ field: e.field, event: Number(e.id), err: errorSummary(err).type }, 'template webhook could not be applied');
        }
        await tx.updateTable('webhook_other_events').set({ processed_at: this.d.clock.now() }).where('id', '=', e.id).execute();
      }
      return events.length;
    });
  }

  /**
   * Whether a template is pending review or still to be created (the worker then syncs every 15 s). One Meta
   * refused is not: it waits for a fix, and polling for it would only spend the WABA's hourly API quota.
   */
  async unsettled(): Promise<boolean> {
    const row = await this.d.db.selectFrom('message_templates').select('name')
      .where((eb) => eb.or([
        eb('status', 'in', ['PENDING', 'IN_APPEAL']),
        eb.and([eb('status', '=', 'NOT_CREATED'), eb.or([eb('reason', 'is', null), eb('reason', 'not like', 'creation refused:%')])]),
      ]))
      .limit(1).executeTakeFirst();
    return row !== undefined;
  }

  private changeOf(r: RemoteTemplate): Change {
    const status = statusOf(r.status);
    const category = categoryOf(r.category);
    return { ...(status ? { status } : {}), ...(category ? { category } : {}), reason: status === 'REJECTED' || status === 'PAUSED' || status === 'DISABLED' ? reasonOf(r.rejectedReason) : null, metaId: r.id };
  }

  private async rows(): Promise<Map<string, Row>> {
    const rows = await this.d.db.selectFrom('message_templates').select(['name', 'language', 'meta_language', 'category', 'status', 'meta_id', 'reason', 'definition_hash']).execute();
    return new Map(rows.map((r) => [`${r.name}:${r.language}`, r]));
  }

  /** The row a webhook names: by Meta's id, else by name and Meta's language code. */
  private async rowFor(tx: DbOrTx, v: { message_template_id?: number | string | undefined; message_template_name?: string | undefined; message_template_language?: string | undefined }): Promise<Row | null> {
    const select = () => tx.selectFrom('message_templates').select(['name', 'language', 'meta_language', 'category', 'status', 'meta_id', 'reason', 'definition_hash']);
    if (v.message_template_id !== undefined) {
      const byId = await select().where('meta_id', '=', String(v.message_template_id)).executeTakeFirst();
      if (byId) return byId;
    }
    if (v.message_template_name === undefined || v.message_template_language === undefined) return null;
    const lang = v.message_template_language;
    const candidates = await select().where('name', '=', v.message_template_name).execute();
    return candidates.find((r) => sameLanguage(r.meta_language, lang)) ?? null;
  }

  private async applyWebhook(tx: DbOrTx, field: string, value: unknown): Promise<void> {
    if (field === 'message_template_status_update') {
      const v = statusWebhook.parse(value);
      const row = await this.rowFor(tx, v);
      if (!row) return;
      const event = v.event.toUpperCase();
      const reason = reasonOf(v.reason) ?? reasonOf(v.other_info?.title);
      if (event === 'FLAGGED') {
        // Quality is falling: Meta pauses the template next if nothing changes.
        await raiseAlert(tx, { kind: 'other', patientId: null, codes: [code(`template_flagged:${row.name}:${row.language}`)], now: this.d.clock.now() });
        return;
      }
      const status = event === 'REINSTATED' ? 'APPROVED' : statusOf(event);
      if (!status) return;
      await this.apply(tx, row, { status, reason: ALERTING.has(status) ? reason : null, ...(v.message_template_id !== undefined ? { metaId: String(v.message_template_id) } : {}) }, { synced: false });
    } else if (field === 'template_category_update') {
      const v = categoryWebhook.parse(value);
      const row = await this.rowFor(tx, v);
      if (!row) return;
      const correct = categoryOf(v.correct_category);
      if (correct) {
        // Announced ahead (24 h): the category changes at category_update_timestamp.
        const at = v.category_update_timestamp ? new Date(v.category_update_timestamp * 1000).toISOString() : null;
        await raiseAlert(tx, { kind: 'other', patientId: null, now: this.d.clock.now(),
          codes: [code(`template_category_pending:${row.name}:${row.language}:${categoryOf(v.new_category) ?? row.category}>${correct}`), ...(at ? [`at:${at}`] : [])] });
        return;
      }
      const next = categoryOf(v.new_category);
      if (next) await this.apply(tx, row, { category: next }, { synced: false });
    } else if (field === 'message_template_quality_update') {
      const v = qualityWebhook.parse(value);
      const row = await this.rowFor(tx, v);
      if (row && v.new_quality_score?.toUpperCase() === 'RED') {
        await raiseAlert(tx, { kind: 'other', patientId: null, codes: [code(`template_quality_red:${row.name}:${row.language}`)], now: this.d.clock.now() });
      }
    }
  }

  /**
   * Writes a change to a row and alerts staff of a transition that stops sends or of a new category. The write
   * holds only if the row still has the status and category this instance read: when two instances see the
   * same change, one of them writes it and alerts.
   */
  private async apply(tx: DbOrTx, row: Row, c: Change, o: { synced: boolean }): Promise<{ changed: boolean; alerts: number }> {
    const now = this.d.clock.now();
    const status = c.status ?? statusOf(row.status) ?? 'NOT_CREATED';
    const category = c.category ?? row.category;
    const reason = c.reason === undefined ? row.reason : c.reason;
    const metaId = c.metaId ?? row.meta_id;
    const changed = status !== row.status || category !== row.category || reason !== row.reason || metaId !== row.meta_id;
    if (!changed) {
      if (o.synced) await tx.updateTable('message_templates').set({ synced_at: now }).where('name', '=', row.name).where('language', '=', row.language).execute();
      return { changed: false, alerts: 0 };
    }
    const r = await tx.updateTable('message_templates')
      .set({ status, category, reason, meta_id: metaId, updated_at: now, ...(o.synced ? { synced_at: now } : {}) })
      .where('name', '=', row.name).where('language', '=', row.language).where('status', '=', row.status).where('category', '=', row.category)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return { changed: false, alerts: 0 };
    let alerts = 0;
    if (status !== row.status && ALERTING.has(status)) {
      await raiseAlert(tx, { kind: 'other', patientId: null, now, codes: [code(`template_${status.toLowerCase()}:${row.name}:${row.language}`), ...(reason ? [code(`reason:${reason}`)] : [])] });
      alerts++;
    }
    if (category !== row.category) {
      await raiseAlert(tx, { kind: 'other', patientId: null, now, codes: [code(`template_category:${row.name}:${row.language}:${row.category}>${category}`)] });
      alerts++;
    }
    this.d.log.info({ template: row.name, language: row.language, status, category }, 'template status changed');
    Object.assign(row, { status, category, reason, meta_id: metaId });
    return { changed: true, alerts };
  }
}

/**
 * The worker's tick: template webhooks at every tick (cheap: they are few), ensure + sync at start, then every
 * 5 minutes, or every 15 s while a template is pending or not created. A failed round is tried again after
 * 1 s, 2 s, 4 s… (at most 15 s).
 */
export function templateSyncTick(sync: TemplateSync, clock: Clock, log: Logger): () => Promise<number> {
  let nextAt = 0;
  let failures = 0;
  return async () => {
    const handled = await sync.processWebhooks();
    const now = clock.now().getTime();
    // A clock set back (tests move theirs) must not postpone the next round by more than one period.
    if (nextAt - now > SYNC_SLOW_MS) nextAt = now;
    if (now >= nextAt) {
      try {
        await sync.ensure();
        failures = 0;
        nextAt = now + ((await sync.unsettled()) ? SYNC_FAST_MS : SYNC_SLOW_MS);
      } catch (e) {
        // 1 s, 2 s, 4 s… up to 15 s: the first round may run before the server listens (sandbox mode).
        nextAt = now + Math.min(1000 * 2 ** failures, SYNC_FAST_MS);
        failures++;
        log.warn({ err: errorSummary(e), failures }, 'template sync failed; trying again shortly');
      }
    }
    return handled >= WEBHOOK_BATCH ? handled : 0;
  };
}

// Writes a clinic definition (schemas.ts) into the database without ever deleting or overwriting what staff
// or patients made. Every row the definition describes has a stable key (a location's code, an FAQ entry's
// scope/intent/language, an opening-hour rule's scope/weekday/position) and clinic_seed_rows (migration 0007)
// remembers, per key, which row the seed wrote and the hash of what it held then. On a re-seed:
//   - a seeded row that still holds exactly what the seed wrote is brought up to the current definition;
//   - a seeded row that staff edited is kept as it is;
//   - a seeded row that staff deleted is not brought back (the ledger entry outlives the row), unless the
//     operator asks for it (restoreDeleted);
//   - a row the seed did not write is never touched, even when it has the seed's code;
//   - nothing is deleted, so whatever refers to a location, practitioner or service stays valid.
// A row that already holds exactly what the seed would write (a clinic seeded before migration 0007) is
// adopted as the seed's. The caller owns the transaction and serialises seeds (demo-clinic.ts locks).
import crypto from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/database.js';
import type { ClinicDefinition } from './schemas.js';

export interface ClinicCounts {
  locations: number;
  practitioners: number;
  services: number;
  practitionerServices: number;
  openingHours: number;
  closures: number;
  faqEntries: number;
}

/** What a seed did with the rows of its definition. */
export interface SeedRows {
  /** Created, or updated to the definition, by this seed. */
  written: number;
  /** Already held what the definition says. */
  current: number;
  /** Changed by staff since the seed wrote them (or made by staff with the seed's code): left as they are. */
  kept: number;
  /** Deleted by staff (or depending on what staff deleted): not re-created. */
  skipped: number;
}

export interface SeedClinicResult {
  clinicId: string;
  created: boolean;
  rows: SeedRows;
}

type Seeded = 'clinics' | 'locations' | 'practitioners' | 'services' | 'opening_hours' | 'closures' | 'faq_entries';

// The columns a definition sets, hashed as stored. Adding a column to a list makes every row seeded before
// look edited (kept, never updated again), so extend a list only together with a migration that rehashes.
const COLUMNS: Record<Seeded, readonly string[]> = {
  clinics: ['code', 'name', 'default_language', 'languages', 'emergency_number', 'phone', 'email', 'website', 'crisis_line'],
  locations: [
    'code', 'name', 'address_line1', 'address_line2', 'postal_code', 'city', 'country', 'time_zone', 'phone',
    'emergency_number', 'languages', 'accessibility_notes', 'latitude', 'longitude', 'active',
  ],
  practitioners: ['code', 'display_name', 'title', 'specialties', 'languages', 'active'],
  // mode and keywords since 0018, which rehashed the ledger's service rows.
  services: ['code', 'name', 'instructions', 'duration_minutes', 'buffer_minutes', 'requires_referral', 'active', 'mode', 'keywords'],
  opening_hours: ['location_id', 'practitioner_id', 'service_id', 'weekday', 'start_time', 'end_time', 'valid_from', 'valid_to'],
  closures: ['location_id', 'practitioner_id', 'starts_at', 'ends_at', 'reason'],
  // variants and link since 0015, which rehashed the ledger's FAQ rows.
  faq_entries: ['location_id', 'intent', 'language', 'question', 'answer', 'updated_by', 'variants', 'link'],
};
/** The unique key a staff-made row may share with a seeded one (the insert then leaves it alone). */
const NATURAL_KEY: Partial<Record<Seeded, readonly string[]>> = {
  clinics: ['code'],
  locations: ['clinic_id', 'code'],
  practitioners: ['clinic_id', 'code'],
  services: ['clinic_id', 'code'],
  faq_entries: ['clinic_id', 'location_id', 'intent', 'language'],
};
const HAS_UPDATED_AT = new Set<Seeded>(['clinics', 'locations', 'practitioners', 'services', 'faq_entries']);
// Hashed as epoch seconds: a timestamptz rendered as JSON depends on the session's TimeZone.
const INSTANTS = new Set(['starts_at', 'ends_at']);

const SEED_AUTHOR = 'system:seed';

function contentHash(table: Seeded): RawBuilder<string> {
  const cols = COLUMNS[table].map((c) => (INSTANTS.has(c) ? sql`extract(epoch from ${sql.ref(c)})` : sql.ref(c)));
  return sql<string>`md5(jsonb_build_array(${sql.join(cols)})::text)`;
}

/** `a is not distinct from $a and …`: equality that also matches nulls (a clinic-wide FAQ entry). */
function sameAs(cols: readonly string[], values: Record<string, unknown>): RawBuilder<unknown> {
  return sql.join(cols.map((c) => sql`${sql.ref(c)} is not distinct from ${values[c]}`), sql` and `);
}

interface LedgerEntry {
  rowId: string | null;
  hash: string;
}

class Seeder {
  readonly rows: SeedRows = { written: 0, current: 0, kept: 0, skipped: 0 };
  private readonly written: { table: string; key: string; rowId: string | null; hash: string }[] = [];
  /** Row ids the seed owns, per table: an adopted row must not be one of them. */
  private readonly claimed = new Map<string, Set<string>>();

  constructor(private readonly tx: Tx, private readonly ledger: Map<string, LedgerEntry>, private readonly restoreDeleted: boolean) {
    for (const [k, e] of ledger) if (e.rowId !== null) this.claim(k.slice(0, k.indexOf('/')), e.rowId);
  }

  private claim(table: string, id: string): void {
    let ids = this.claimed.get(table);
    if (!ids) this.claimed.set(table, (ids = new Set()));
    ids.add(id);
  }

  private record(table: string, key: string, rowId: string | null, hash: string, changed: boolean): void {
    this.written.push({ table, key, rowId, hash });
    if (rowId !== null) this.claim(table, rowId);
    if (changed) this.rows.written++;
    else this.rows.current++;
  }

  /** Writes one row of the definition; returns the id of the row now standing for `key`, or null if staff deleted it. */
  async put(table: Seeded, key: string, values: Record<string, unknown>): Promise<string | null> {
    const cols = COLUMNS[table];
    const hash = contentHash(table);
    const entry = this.ledger.get(`${table}/${key}`);
    if (entry?.rowId) {
      // Only while the row still holds what the seed wrote: comparing in the same statement leaves no gap
      // for a staff edit between the check and the write.
      const set = sql.join(cols.map((c) => sql`${sql.ref(c)} = ${values[c]}`));
      const { rows } = await sql<{ id: string; hash: string }>`
        update ${sql.table(table)} set ${set}
        where id = ${entry.rowId} and ${hash} = ${entry.hash}
        returning id, ${hash} as hash`.execute(this.tx);
      const row = rows[0];
      if (row) {
        const changed = row.hash !== entry.hash;
        if (changed && HAS_UPDATED_AT.has(table)) await sql`update ${sql.table(table)} set updated_at = now() where id = ${row.id}`.execute(this.tx);
        this.record(table, key, row.id, row.hash, changed);
        return row.id;
      }
      const { rows: still } = await sql<{ id: string }>`select id from ${sql.table(table)} where id = ${entry.rowId}`.execute(this.tx);
      if (still[0]) {
        this.rows.kept++;
        return still[0].id;
      }
      if (!this.restoreDeleted) {
        this.rows.skipped++;
        return null;
      }
      // Restoring what staff deleted: written afresh below, as on a first seed.
    }

    const inClinic = 'clinic_id' in values ? sql`clinic_id = ${values['clinic_id']} and ` : sql``;
    const { rows: same } = await sql<{ id: string; hash: string }>`
      select id, ${hash} as hash from ${sql.table(table)}
      where ${inClinic} ${sameAs(cols, values)} and not (id = any(${[...(this.claimed.get(table) ?? [])]}::uuid[]))
      limit 1`.execute(this.tx);
    if (same[0]) {
      this.record(table, key, same[0].id, same[0].hash, false);
      return same[0].id;
    }
    const insertCols = Object.keys(values);
    const { rows: inserted } = await sql<{ id: string; hash: string }>`
      insert into ${sql.table(table)} (${sql.join(insertCols.map((c) => sql.ref(c)))})
      values (${sql.join(insertCols.map((c) => values[c]))})
      on conflict do nothing
      returning id, ${hash} as hash`.execute(this.tx);
    if (inserted[0]) {
      this.record(table, key, inserted[0].id, inserted[0].hash, true);
      return inserted[0].id;
    }
    // A row with the seed's code that the seed did not write: it is staff's, and stays as it is.
    const natural = NATURAL_KEY[table];
    if (!natural) throw new Error(`${table} has no unique key a seeded row could collide with`);
    const { rows: theirs } = await sql<{ id: string }>`select id from ${sql.table(table)} where ${sameAs(natural, values)}`.execute(this.tx);
    if (!theirs[0]) throw new Error(`seeding ${table} collided with a row that is not there`);
    this.rows.kept++;
    return theirs[0].id;
  }

  /** An offer (who gives which service where) is its own key: nothing to update, only to create once. */
  async offer(key: string, clinicId: string, practitionerId: string, serviceId: string, locationId: string): Promise<void> {
    const hash = crypto.createHash('md5').update(`${practitionerId}/${serviceId}/${locationId}`).digest('hex');
    if (this.ledger.has(`practitioner_services/${key}`)) {
      const found = await this.tx
        .selectFrom('practitioner_services')
        .select('clinic_id')
        .where('practitioner_id', '=', practitionerId)
        .where('service_id', '=', serviceId)
        .where('location_id', '=', locationId)
        .executeTakeFirst();
      if (found) {
        this.record('practitioner_services', key, null, hash, false);
        return;
      }
      if (!this.restoreDeleted) {
        this.rows.skipped++;
        return;
      }
    }
    const r = await this.tx
      .insertInto('practitioner_services')
      .values({ clinic_id: clinicId, practitioner_id: practitionerId, service_id: serviceId, location_id: locationId })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    this.record('practitioner_services', key, null, hash, Number(r.numInsertedOrUpdatedRows ?? 0) > 0);
  }

  skip(): void {
    this.rows.skipped++;
  }

  async flush(clinicId: string): Promise<void> {
    if (this.written.length === 0) return;
    await this.tx
      .insertInto('clinic_seed_rows')
      .values(this.written.map((w) => ({ clinic_id: clinicId, table_name: w.table, seed_key: w.key, row_id: w.rowId, content_hash: w.hash })))
      .onConflict((oc) =>
        oc.columns(['clinic_id', 'table_name', 'seed_key']).doUpdateSet((eb) => ({
          row_id: eb.ref('excluded.row_id'),
          content_hash: eb.ref('excluded.content_hash'),
          seeded_at: sql`now()`,
        })),
      )
      .execute();
  }
}

async function loadLedger(tx: Tx, clinicId: string): Promise<Map<string, LedgerEntry>> {
  const rows = await tx.selectFrom('clinic_seed_rows').select(['table_name', 'seed_key', 'row_id', 'content_hash']).where('clinic_id', '=', clinicId).execute();
  return new Map(rows.map((r) => [`${r.table_name}/${r.seed_key}`, { rowId: r.row_id, hash: r.content_hash }]));
}

/** Keys for rows that have no code of their own: `base/1`, `base/2`… in definition order. */
function positions(): (base: string) => string {
  const seen = new Map<string, number>();
  return (base) => {
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return `${base}/${n}`;
  };
}

const json = (v: unknown) => JSON.stringify(v);
const jsonOrNull = (v: unknown) => (v === null ? null : JSON.stringify(v));

export interface SeedClinicOptions {
  /** Re-create the seeded rows that staff deleted (`seed-demo --restore-deleted`). Edited rows stay edited. */
  restoreDeleted?: boolean;
}

/** Creates the clinic with `def.code`, or brings the rows it seeded up to `def` (see the top of this file). */
export async function seedClinic(tx: Tx, def: ClinicDefinition, opts: SeedClinicOptions = {}): Promise<SeedClinicResult> {
  const existing = await tx.selectFrom('clinics').select('id').where('code', '=', def.code).executeTakeFirst();
  const seeder = new Seeder(tx, existing ? await loadLedger(tx, existing.id) : new Map(), opts.restoreDeleted === true);
  const clinicId =
    (await seeder.put('clinics', 'clinic', {
      code: def.code,
      name: def.name,
      default_language: def.defaultLanguage,
      languages: def.languages,
      emergency_number: def.emergencyNumber,
      phone: def.phone,
      email: def.email,
      website: def.website,
      crisis_line: def.crisisLine,
    })) ?? existing?.id;
  // The ledger goes with its clinic (on delete cascade), so a clinic with entries is always there.
  if (clinicId === undefined) throw new Error('the clinic row vanished while seeding');

  const locationIds = new Map<string, string | null>();
  for (const l of def.locations) {
    const id = await seeder.put('locations', l.code, {
      clinic_id: clinicId,
      code: l.code,
      name: l.name,
      address_line1: l.address.line1,
      address_line2: l.address.line2,
      postal_code: l.address.postalCode,
      city: l.address.city,
      country: l.address.country,
      time_zone: l.timeZone,
      phone: l.phone,
      emergency_number: l.emergencyNumber,
      languages: l.languages,
      accessibility_notes: jsonOrNull(l.accessibilityNotes),
      latitude: l.latitude,
      longitude: l.longitude,
      active: true,
    });
    locationIds.set(l.code, id);
  }
  const practitionerIds = new Map<string, string | null>();
  for (const p of def.practitioners) {
    const id = await seeder.put('practitioners', p.code, {
      clinic_id: clinicId,
      code: p.code,
      display_name: p.displayName,
      title: p.title,
      specialties: p.specialties,
      languages: p.languages,
      active: true,
    });
    practitionerIds.set(p.code, id);
  }
  const serviceIds = new Map<string, string | null>();
  for (const s of def.services) {
    const id = await seeder.put('services', s.code, {
      clinic_id: clinicId,
      code: s.code,
      name: json(s.name),
      instructions: jsonOrNull(s.instructions),
      duration_minutes: s.durationMinutes,
      buffer_minutes: s.bufferMinutes,
      requires_referral: s.requiresReferral,
      active: true,
      mode: s.mode,
      keywords: s.keywords,
    });
    serviceIds.set(s.code, id);
  }

  // The definition was cross-checked by its schema, so a missing code is a programming error; a null id is
  // a row staff deleted, and what hangs on it is skipped.
  const idOf = (ids: Map<string, string | null>, code: string): string | null => {
    const id = ids.get(code);
    if (id === undefined) throw new Error(`clinic definition refers to unknown code ${code}`);
    return id;
  };

  for (const p of def.practitioners) {
    for (const a of p.at) {
      for (const s of a.services) {
        const [pid, sid, lid] = [idOf(practitionerIds, p.code), idOf(serviceIds, s), idOf(locationIds, a.location)];
        if (pid === null || sid === null || lid === null) seeder.skip();
        else await seeder.offer(`${p.code}/${s}@${a.location}`, clinicId, pid, sid, lid);
      }
    }
  }

  // A rule hangs on its location and on its practitioner or service; when staff deleted one of them, the
  // rule is skipped (its key is still counted, so the positions of the others do not shift).
  type Ref = string | null;
  const ruleKey = positions();
  const rule = async (scope: string, r: { weekday: number; start: string; end: string }, refs: { location_id: Ref; practitioner_id?: Ref; service_id?: Ref }) => {
    const key = ruleKey(`${scope}/${r.weekday}`);
    if (Object.values(refs).includes(null)) return seeder.skip();
    await seeder.put('opening_hours', key, {
      clinic_id: clinicId,
      location_id: refs.location_id,
      practitioner_id: refs.practitioner_id ?? null,
      service_id: refs.service_id ?? null,
      weekday: r.weekday,
      start_time: r.start,
      end_time: r.end,
      valid_from: null,
      valid_to: null,
    });
  };
  for (const l of def.locations) {
    for (const r of l.hours) await rule(`location=${l.code}`, r, { location_id: idOf(locationIds, l.code) });
  }
  for (const p of def.practitioners) {
    for (const a of p.at) {
      const refs = { location_id: idOf(locationIds, a.location), practitioner_id: idOf(practitionerIds, p.code) };
      for (const r of a.sessions) await rule(`practitioner=${p.code}@${a.location}`, r, refs);
    }
  }
  for (const s of def.services) {
    for (const w of s.windows) await rule(`service=${s.code}@${w.location}`, w, { location_id: idOf(locationIds, w.location), service_id: idOf(serviceIds, s.code) });
  }

  // Closures are whole local days: midnight to midnight in the location's own zone, so a holiday on a DST
  // change day is 23 or 25 hours long, as it should be. Keyed by their first day: next year's holidays are
  // added beside this year's, which stay.
  const closureKey = positions();
  for (const l of def.locations) {
    const lid = idOf(locationIds, l.code);
    for (const c of l.closures) {
      const key = closureKey(`${l.code}/${c.from}`);
      if (lid === null) {
        seeder.skip();
        continue;
      }
      await seeder.put('closures', key, {
        clinic_id: clinicId,
        location_id: lid,
        practitioner_id: null,
        starts_at: sql`(${c.from}::date)::timestamp at time zone ${l.timeZone}`,
        ends_at: sql`(${c.to}::date + 1)::timestamp at time zone ${l.timeZone}`,
        reason: c.reason,
      });
    }
  }

  // An FAQ entry's stable code is what makes it unique: its scope (clinic-wide here), intent and language.
  for (const f of def.faq) {
    await seeder.put('faq_entries', faqCode(f), { clinic_id: clinicId, location_id: null, intent: f.intent, language: f.language, question: f.question, answer: f.answer, updated_by: SEED_AUTHOR, variants: sql`${f.variants}::text[]`, link: f.link });
  }

  await seeder.flush(clinicId);
  return { clinicId, created: existing === undefined, rows: seeder.rows };
}

/** The stable code of a clinic-wide FAQ entry, e.g. `clinic/opening_hours/fr`. */
export function faqCode(f: { intent: string; language: string }): string {
  return `clinic/${f.intent}/${f.language}`;
}

export async function countClinic(tx: Tx, clinicId: string): Promise<ClinicCounts> {
  const { rows } = await sql<ClinicCounts>`
    select
      (select count(*)::int from locations where clinic_id = ${clinicId}) as "locations",
      (select count(*)::int from practitioners where clinic_id = ${clinicId}) as "practitioners",
      (select count(*)::int from services where clinic_id = ${clinicId}) as "services",
      (select count(*)::int from practitioner_services where clinic_id = ${clinicId}) as "practitionerServices",
      (select count(*)::int from opening_hours where clinic_id = ${clinicId}) as "openingHours",
      (select count(*)::int from closures where clinic_id = ${clinicId}) as "closures",
      (select count(*)::int from faq_entries where clinic_id = ${clinicId}) as "faqEntries"
  `.execute(tx);
  const counts = rows[0];
  if (!counts) throw new Error('count query returned no row');
  return counts;
}

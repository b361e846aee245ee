// The clinic catalogue the scheduling pages share: services, practitioners and locations loaded together,
// names in the staff's language, the location time zone the calendar reads, and every page of a
// `{ items, nextCursor }` list when a page needs the whole range (a day's slots, a week's appointments).
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { listOf, locationSchema, practitionerSchema, serviceSchema, type Location, type Practitioner, type Service } from '../schemas';
import { useLoad, type Loaded } from './ui';

export interface Catalogue {
  services: Service[];
  practitioners: Practitioner[];
  locations: Location[];
}

const services = listOf(serviceSchema);
const practitioners = listOf(practitionerSchema);
const locations = listOf(locationSchema);

/** Every item of a paged list, following nextCursor (bounded: a runaway list stops at `maxPages`). */
export async function collect<T>(load: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>, maxPages = 50): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const r = await load(cursor);
    out.push(...r.items);
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return out;
}

/** `includeInactive`: deactivated services too (the services page); the calendar books active ones only. */
export function useCatalogue(opts: { includeInactive?: boolean } = {}, deps: readonly unknown[] = []): Loaded<Catalogue> {
  const inactive = opts.includeInactive === true;
  return useLoad(async () => {
    const [s, p, l] = await Promise.all([
      api('GET', `/api/services${query({ includeInactive: inactive ? 'true' : null })}`, services),
      api('GET', '/api/practitioners', practitioners),
      api('GET', '/api/locations', locations),
    ]);
    return { services: s.items, practitioners: p.items, locations: l.items };
  }, [inactive, ...deps]);
}

/** A service's name in the staff's language, else the clinic's default. */
export function useServiceName(): (s: Pick<Service, 'name' | 'names'> | undefined) => string {
  const { i18n } = useTranslation();
  return (s) => (s ? s.names[i18n.language] ?? s.name : '—');
}

/** The zone the calendar's wall clock is in: the first active location's (the demo clinic has one), else UTC. */
export function clinicZone(c: Catalogue): string {
  return (c.locations.find((l) => l.active) ?? c.locations[0])?.timeZone ?? 'UTC';
}

export const practitionerName = (c: Catalogue, id: string | null | undefined) => c.practitioners.find((p) => p.id === id)?.displayName ?? '—';

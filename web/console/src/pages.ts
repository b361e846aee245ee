// Every page of the console, once: its path, its title in the catalogue, the roles that may open it, and its
// component (loaded on demand: one chunk per page). The router and the navigation both read this list; to
// add a page, add a file under pages/ and one line here (and its strings to i18n/en.json and fr.json).
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { ROLES, type Role } from './schemas';

export interface PageProps {
  params: Record<string, string>;
}

export interface PageDef {
  path: string;
  titleKey: string;
  roles: readonly Role[];
  /** Listed in the navigation (for the roles above). */
  nav: boolean;
  component: LazyExoticComponent<ComponentType<PageProps>>;
}

const PATIENT_ROLES: readonly Role[] = ['admin', 'clinician', 'reception'];
/** The appointment routes' DESK roles (src/scheduling/routes.ts); the catalogue is read by every role. */
const DESK_ROLES: readonly Role[] = PATIENT_ROLES;

export const PAGES: readonly PageDef[] = [
  { path: '/', titleKey: 'nav.home', roles: ROLES, nav: true, component: lazy(() => import('./pages/home')) },
  { path: '/patients', titleKey: 'nav.patients', roles: PATIENT_ROLES, nav: true, component: lazy(() => import('./pages/patients')) },
  { path: '/patients/:id', titleKey: 'patient.title', roles: PATIENT_ROLES, nav: false, component: lazy(() => import('./pages/patient')) },
  { path: '/inbox', titleKey: 'nav.inbox', roles: PATIENT_ROLES, nav: true, component: lazy(() => import('./pages/inbox')) },
  { path: '/inbox/:patientId', titleKey: 'nav.inbox', roles: PATIENT_ROLES, nav: false, component: lazy(() => import('./pages/inbox')) },
  { path: '/calendar', titleKey: 'nav.calendar', roles: DESK_ROLES, nav: true, component: lazy(() => import('./pages/calendar')) },
  { path: '/services', titleKey: 'nav.services', roles: ROLES, nav: true, component: lazy(() => import('./pages/services')) },
  { path: '/practitioners', titleKey: 'nav.practitioners', roles: ROLES, nav: true, component: lazy(() => import('./pages/practitioners')) },
  { path: '/reminders', titleKey: 'nav.reminders', roles: ROLES, nav: true, component: lazy(() => import('./pages/reminders')) },
  { path: '/faq', titleKey: 'nav.faq', roles: ROLES, nav: true, component: lazy(() => import('./pages/faq')) },
  { path: '/templates', titleKey: 'nav.templates', roles: PATIENT_ROLES, nav: true, component: lazy(() => import('./pages/templates')) },
  { path: '/users', titleKey: 'nav.users', roles: ['admin'], nav: true, component: lazy(() => import('./pages/users')) },
  { path: '/audit', titleKey: 'nav.audit', roles: ['admin'], nav: true, component: lazy(() => import('./pages/audit')) },
  { path: '/account', titleKey: 'nav.account', roles: ROLES, nav: false, component: lazy(() => import('./pages/account')) },
];

export function navFor(role: Role): PageDef[] {
  return PAGES.filter((p) => p.nav && p.roles.includes(role));
}

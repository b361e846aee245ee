// The frame of every signed-in page: a header with the role-aware navigation, the language picker and the
// user's menu; the page's title and content in <main>. Focus moves to the title when the page changes.
import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguagePicker } from '../i18n/picker';
import { navFor } from '../pages';
import { Link, matchPath, usePath } from '../router';
import { useSession } from '../session';

export function Layout({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  const { session, logout } = useSession();
  const path = usePath();
  const heading = useRef<HTMLHeadingElement>(null);
  const user = session.user;

  useEffect(() => {
    document.title = `${title} · PatientLine`;
    heading.current?.focus();
  }, [title, path]);

  return (
    <div className="shell">
      <a className="skip" href="#main">{t('common.skip')}</a>
      <header className="topbar">
        <Link to="/" className="brand">PatientLine</Link>
        <nav aria-label={t('nav.label')}>
          <ul>
            {navFor(user.role).map((p) => {
              const current = p.path === '/' ? path === '/' : matchPath(p.path, path) !== null || path.startsWith(`${p.path}/`);
              return (
                <li key={p.path}>
                  <Link to={p.path} aria-current={current ? 'page' : undefined}>{t(p.titleKey)}</Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="tools">
          <LanguagePicker />
          <Link to="/account" className="who" aria-label={t('nav.accountOf', { name: user.displayName || user.email })}>
            <span>{user.displayName || user.email}</span> <span className="role">{t(`roles.${user.role}`)}</span>
          </Link>
          <button type="button" className="secondary" onClick={() => void logout()}>{t('nav.logout')}</button>
        </div>
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>{title}</h1>
        {children}
      </main>
      <footer className="footer">
        <a href="/api/docs">{t('nav.apiDocs')}</a>
      </footer>
    </div>
  );
}

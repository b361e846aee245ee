// The console's root: find out who is signed in (GET /api/auth/me), show the login page otherwise, and
// render the page the path names inside the layout, or "not allowed" when the user's role may not open it.
import { Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, onUnauthenticated, send, setCsrfToken } from './api';
import { Layout } from './components/layout';
import { Loading } from './components/ui';
import { LoginPage } from './login';
import { PAGES } from './pages';
import { matchPath, navigate, usePath } from './router';
import { sessionSchema, type Session } from './schemas';
import { SessionCtx, type SessionContext } from './session';

type State = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'signed-in'; session: Session };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const path = usePath();

  const signIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ kind: 'signed-in', session });
  }, []);
  // Back to the login page, which returns to where the user was once signed in again.
  const signOut = useCallback((keepPlace = true) => {
    setCsrfToken(null);
    setState({ kind: 'signed-out' });
    const here = window.location.pathname;
    if (here !== '/login') navigate(keepPlace && here !== '/' ? `/login?next=${encodeURIComponent(here)}` : '/login', { replace: true });
  }, []);

  useEffect(() => {
    onUnauthenticated(() => signOut());
    api('GET', '/api/auth/me', sessionSchema).then(signIn, () => signOut());
  }, [signIn, signOut]);

  const ctx = useMemo<SessionContext | null>(() => {
    if (state.kind !== 'signed-in') return null;
    return {
      session: state.session,
      refresh: async () => signIn(await api('GET', '/api/auth/me', sessionSchema)),
      logout: async () => {
        await send('POST', '/api/auth/logout').catch(() => {});
        signOut(false);
      },
    };
  }, [state, signIn, signOut]);

  if (state.kind === 'loading') return <main id="main" className="centered"><Loading /></main>;
  if (state.kind === 'signed-out' || !ctx) {
    return (
      <LoginPage
        onSignedIn={(s) => {
          signIn(s);
          const next = new URLSearchParams(window.location.search).get('next');
          const safe = next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login');
          navigate(safe ? next : window.location.pathname === '/login' ? '/' : window.location.pathname, { replace: true });
        }}
      />
    );
  }
  if (path === '/login') {
    navigate('/', { replace: true });
    return null;
  }
  return (
    <SessionCtx.Provider value={ctx}>
      <Routed path={path} role={ctx.session.user.role} />
    </SessionCtx.Provider>
  );
}

function Routed({ path, role }: { path: string; role: Session['user']['role'] }) {
  const { t } = useTranslation();
  for (const page of PAGES) {
    const params = matchPath(page.path, path);
    if (!params) continue;
    if (!page.roles.includes(role)) {
      return (
        <Layout title={t('denied.title')}>
          <p className="alert error" data-testid="not-allowed">{t('denied.body')}</p>
        </Layout>
      );
    }
    const Page = page.component;
    return (
      <Layout title={t(page.titleKey)}>
        <Suspense fallback={<Loading />}>
          <Page params={params} />
        </Suspense>
      </Layout>
    );
  }
  return (
    <Layout title={t('notFound.title')}>
      <p>{t('notFound.body')}</p>
    </Layout>
  );
}

import { useTranslation } from 'react-i18next';
import { navFor } from '../pages';
import { Link } from '../router';
import { useSession } from '../session';

/** The first page after login: who you are, and where your role may go. */
export default function Home() {
  const { t } = useTranslation();
  const { user } = useSession().session;
  const places = navFor(user.role).filter((p) => p.path !== '/');
  return (
    <section aria-labelledby="home-welcome">
      <h2 id="home-welcome">{t('home.welcome', { name: user.displayName || user.email })}</h2>
      <p>{t('home.role', { role: t(`roles.${user.role}`) })}</p>
      {places.length > 0 ? (
        <ul className="tiles">
          {places.map((p) => <li key={p.path}><Link to={p.path}>{t(p.titleKey)}</Link></li>)}
        </ul>
      ) : (
        <p className="muted">{t('home.nothingYet')}</p>
      )}
    </section>
  );
}

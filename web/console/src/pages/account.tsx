// The signed-in user's own account: change the password, set up (or turn off) the TOTP second factor.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, send } from '../api';
import { ErrorAlert, Field, Notice } from '../components/ui';
import { totpSetupSchema } from '../schemas';
import { useSession } from '../session';

export default function Account() {
  return (
    <>
      <Password />
      <Totp />
    </>
  );
}

function Password() {
  const { t } = useTranslation();
  const { refresh } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    try {
      await send('POST', '/api/auth/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setDone(true);
      // Other sessions were revoked; this one may have a new CSRF token.
      await refresh();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="account-password">
      <h2 id="account-password">{t('account.password')}</h2>
      <form className="card grid" onSubmit={submit}>
        <Field label={t('account.current')}>{(id) => <input id={id} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />}</Field>
        <Field label={t('account.new')} hint={t('users.passwordHint')}>{(id, hint) => <input id={id} type="password" autoComplete="new-password" minLength={12} required aria-describedby={hint} value={next} onChange={(e) => setNext(e.target.value)} />}</Field>
        <ErrorAlert error={error} />
        {done ? <Notice>{t('account.passwordChanged')}</Notice> : null}
        <div className="row"><button type="submit">{t('account.change')}</button></div>
      </form>
    </section>
  );
}

function Totp() {
  const { t } = useTranslation();
  const { session, refresh } = useSession();
  const [setup, setSetup] = useState<{ secret: string; otpauthUrl: string } | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const enabled = session.user.totpEnabled;
  const run = async (fn: () => Promise<void>) => {
    setError(null);
    setNotice(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
  };
  const start = () => run(async () => setSetup(await api('POST', '/api/auth/totp/setup', totpSetupSchema)));
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await send('POST', enabled ? '/api/auth/totp/disable' : '/api/auth/totp/enable', { code: code.replace(/\s/g, '') });
      setSetup(null);
      setCode('');
      setNotice(enabled ? t('account.totpDisabled') : t('account.totpEnabled'));
      await refresh();
    });
  };
  const codeField = (
    <Field label={t('login.code')}>{(id) => <input id={id} name="code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />}</Field>
  );
  return (
    <section aria-labelledby="account-totp">
      <h2 id="account-totp">{t('account.totp')}</h2>
      <div className="card">
        <p data-testid="totp-state">{enabled ? t('account.totpOn') : t('account.totpOff')}</p>
        <ErrorAlert error={error} />
        {notice ? <Notice>{notice}</Notice> : null}
        {!enabled && !setup ? <button type="button" onClick={() => void start()}>{t('account.totpSetup')}</button> : null}
        {setup ? (
          <form className="grid" onSubmit={confirm}>
            <p>{t('account.totpScan')}</p>
            <p className="mono break" data-testid="otpauth-url">{setup.otpauthUrl}</p>
            <p>{t('account.totpSecret')} <code data-testid="totp-secret">{setup.secret}</code></p>
            {codeField}
            <div className="row"><button type="submit">{t('account.totpEnable')}</button></div>
          </form>
        ) : null}
        {enabled ? (
          <form className="grid" onSubmit={confirm}>
            {codeField}
            <div className="row"><button type="submit" className="secondary">{t('account.totpDisable')}</button></div>
          </form>
        ) : null}
      </div>
    </section>
  );
}

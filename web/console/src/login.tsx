// Login: e-mail and password, then a TOTP code when the API answers {status: 'totp_required'}, or first the
// enrolment (secret and otpauth link) when it answers {status: 'totp_setup_required'}. In sandbox
// mode (GET /api/auth/info, when the server has it) a hint says where the demo login and the patient phone are.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from './api';
import { ErrorAlert, Field } from './components/ui';
import { LanguagePicker } from './i18n/picker';
import { authInfoSchema, loginSchema, type Session } from './schemas';

type Info = { sandbox: boolean; demoEmail?: string | null | undefined };

export function LoginPage({ onSignedIn }: { onSignedIn(s: Session): void }) {
  const { t } = useTranslation();
  const [step, setStep] = useState<'password' | 'totp'>('password');
  const [setup, setSetup] = useState<{ secret: string; otpauthUrl: string } | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [info, setInfo] = useState<Info | null>(null);
  const codeInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = `${t('login.title')} · PatientLine`;
    // An older server has no such route: then no hint, and nothing else changes.
    api('GET', '/api/auth/info', authInfoSchema).then(setInfo, () => setInfo(null));
  }, [t]);
  useEffect(() => {
    if (step === 'totp') codeInput.current?.focus();
  }, [step]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (step === 'password') {
        const r = await api('POST', '/api/auth/login', loginSchema, { email, password });
        if (r.status === 'ok') onSignedIn({ user: r.user, csrfToken: r.csrfToken });
        else {
          setSetup(r.status === 'totp_setup_required' ? { secret: r.secret, otpauthUrl: r.otpauthUrl } : null);
          setStep('totp');
        }
      } else {
        const r = await api('POST', '/api/auth/totp', loginSchema, { code: code.replace(/\s/g, '') });
        if (r.status === 'ok') onSignedIn({ user: r.user, csrfToken: r.csrfToken });
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-shell">
      <header className="login-header">
        <span className="brand">PatientLine</span>
        <LanguagePicker />
      </header>
      <main id="main" className="login">
        <h1>{t('login.title')}</h1>
        <form onSubmit={submit} className="card" aria-describedby={error ? 'login-error' : undefined}>
          {step === 'password' ? (
            <>
              <Field label={t('login.email')}>{(id) => <input id={id} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
              <Field label={t('login.password')}>{(id) => <input id={id} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
            </>
          ) : (
            <>
            {setup ? (
              <div className="setup">
                <h2>{t('login.setupTitle')}</h2>
                <p>{t('login.setupBody')}</p>
                <p className="mono break" data-testid="otpauth-url">{setup.otpauthUrl}</p>
                <p>{t('account.totpSecret')} <code data-testid="totp-secret">{setup.secret}</code></p>
              </div>
            ) : null}
            <Field label={t('login.code')} hint={t('login.codeHint')}>
              {(id, hint) => <input ref={codeInput} id={id} name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,8}" required aria-describedby={hint} value={code} onChange={(e) => setCode(e.target.value)} />}
            </Field>
            </>
          )}
          <div id="login-error"><ErrorAlert error={error} /></div>
          <button type="submit" disabled={busy}>{step === 'password' ? t('login.submit') : t('login.verify')}</button>
          {step === 'totp' ? <button type="button" className="link" onClick={() => { setStep('password'); setSetup(null); setCode(''); setError(null); }}>{t('login.back')}</button> : null}
        </form>
        {info?.sandbox ? (
          <aside className="card hint" aria-label={t('login.sandboxTitle')}>
            <h2>{t('login.sandboxTitle')}</h2>
            <p>{t('login.sandboxLogin', { email: info.demoEmail ?? '' })}</p>
            <p><a href="/sandbox">{t('login.sandboxPhone')}</a></p>
          </aside>
        ) : null}
      </main>
    </div>
  );
}

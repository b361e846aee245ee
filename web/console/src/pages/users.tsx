// Users and roles (admin): the list, a new user with a role and an initial password, and per user: role,
// disable/enable, require a TOTP second factor.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { ErrorAlert, Field, Loading, MoreButton, Notice, useDate, usePaged } from '../components/ui';
import { listOf, ROLES, roleSchema, userSchema, type Role, type User } from '../schemas';
import { useSession } from '../session';

const users = listOf(userSchema);

export default function Users() {
  const { t } = useTranslation();
  const list = usePaged((cursor) => api('GET', `/api/users${query({ cursor })}`, users), []);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const patch = async (u: User, change: Partial<{ role: Role; disabled: boolean; requireTotp: boolean }>) => {
    setError(null);
    setNotice(null);
    try {
      await api('PATCH', `/api/users/${encodeURIComponent(u.id)}`, userSchema, change);
      setNotice(t('users.saved', { email: u.email }));
      list.reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      <NewUser onCreated={(u) => { setNotice(t('users.created', { email: u.email })); list.reload(); }} />
      <section aria-labelledby="users-list">
        <h2 id="users-list">{t('users.list')}</h2>
        <ErrorAlert error={error ?? list.error} />
        {notice ? <Notice>{notice}</Notice> : null}
        {list.items.length > 0 ? <UserTable items={list.items} onPatch={patch} /> : null}
        {list.loading ? <Loading /> : null}
        <MoreButton list={list} />
      </section>
    </>
  );
}

function UserTable({ items, onPatch }: { items: User[]; onPatch(u: User, c: Partial<{ role: Role; disabled: boolean; requireTotp: boolean }>): void }) {
  const { t } = useTranslation();
  const date = useDate();
  const me = useSession().session.user;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr><th scope="col">{t('users.email')}</th><th scope="col">{t('users.name')}</th><th scope="col">{t('users.role')}</th><th scope="col">{t('users.totp')}</th><th scope="col">{t('users.status')}</th><th scope="col">{t('users.lastLogin')}</th><th scope="col">{t('users.actions')}</th></tr>
        </thead>
        <tbody>
          {items.map((u) => (
            <tr key={u.id} data-email={u.email}>
              <td>{u.email}</td>
              <td>{u.displayName ?? ''}</td>
              <td>
                <select aria-label={t('users.roleOf', { email: u.email })} value={u.role} disabled={u.id === me.id} onChange={(e) => { const r = roleSchema.safeParse(e.target.value); if (r.success) onPatch(u, { role: r.data }); }}>
                  {ROLES.map((r) => <option key={r} value={r}>{t(`roles.${r}`)}</option>)}
                </select>
              </td>
              <td>{u.totpEnabled ? t('users.totpOn') : t('users.totpOff')}</td>
              <td>{u.disabled ? t('users.disabled') : t('users.active')}</td>
              <td>{date(u.lastLoginAt)}</td>
              <td><div className="cell-actions">
                {u.id === me.id ? null : (
                  <button type="button" className="secondary" onClick={() => onPatch(u, { disabled: !u.disabled })}>
                    {u.disabled ? t('users.enable') : t('users.disable')}<span className="sr-only"> {u.email}</span>
                  </button>
                )}
                {u.totpEnabled ? null : (
                  <button type="button" className="secondary" onClick={() => onPatch(u, { requireTotp: true })}>
                    {t('users.requireTotp')}<span className="sr-only"> {u.email}</span>
                  </button>
                )}
              </div></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NewUser({ onCreated }: { onCreated(u: User): void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState<{ email: string; displayName: string; role: Role; password: string }>({ email: '', displayName: '', role: 'clinician', password: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const u = await api('POST', '/api/users', userSchema, form);
      setForm({ email: '', displayName: '', role: 'clinician', password: '' });
      onCreated(u);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="users-new">
      <h2 id="users-new">{t('users.new')}</h2>
      <form className="card grid" onSubmit={submit}>
        <Field label={t('users.email')}>{(id) => <input id={id} name="email" type="email" required autoComplete="off" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />}</Field>
        <Field label={t('users.name')}>{(id) => <input id={id} name="displayName" required value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} />}</Field>
        <Field label={t('users.role')}>
          {(id) => (
            <select id={id} name="role" value={form.role} onChange={(e) => { const r = roleSchema.safeParse(e.target.value); if (r.success) setForm({ ...form, role: r.data }); }}>
              {ROLES.map((r) => <option key={r} value={r}>{t(`roles.${r}`)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('users.password')} hint={t('users.passwordHint')}>
          {(id, hint) => <input id={id} name="password" type="password" required minLength={12} autoComplete="new-password" aria-describedby={hint} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />}
        </Field>
        <ErrorAlert error={error} />
        <div className="row"><button type="submit" disabled={busy}>{t('users.create')}</button></div>
      </form>
    </section>
  );
}

// Message templates (GET /api/templates): each of our templates in each language with its Meta review status
// (colour and word), Meta's reason for a rejection or a pause, and when it was last synced. Admins can
// "Sync now" (POST /api/templates/sync: creates what is missing and fetches the statuses at once); the desk
// reads the page to know why a reminder did not go out.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { api } from '../api';
import { ErrorAlert, Loading, Notice, useDate, useLoad } from '../components/ui';
import { LANGUAGE_NAMES } from '../i18n';
import { useSession } from '../session';

const STATUSES = ['NOT_CREATED', 'PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL', 'PENDING_DELETION', 'DELETED', 'LIMIT_EXCEEDED', 'ARCHIVED'] as const;
const templateSchema = z.object({
  name: z.string(),
  language: z.string(),
  category: z.string(),
  status: z.enum(STATUSES),
  reason: z.string().nullable(),
  metaId: z.string().nullable(),
  syncedAt: z.string().nullable(),
});
type Template = z.infer<typeof templateSchema>;
const listSchema = z.object({ items: z.array(templateSchema) });
const syncSchema = listSchema.extend({ created: z.number(), adopted: z.number(), refused: z.number(), webhooks: z.number(), limited: z.boolean() });

/** The colour a status is shown in: sendable, waiting, stopped, or gone. */
function tone(status: Template['status']): string {
  if (status === 'APPROVED') return 'ok';
  if (status === 'PENDING' || status === 'NOT_CREATED' || status === 'IN_APPEAL') return 'waiting';
  if (status === 'REJECTED' || status === 'PAUSED' || status === 'DISABLED' || status === 'LIMIT_EXCEEDED') return 'stopped';
  return 'gone';
}

const LANGUAGE_LABELS: Readonly<Record<string, string>> = LANGUAGE_NAMES;
const languageName = (l: string) => LANGUAGE_LABELS[l] ?? l;

export default function Templates() {
  const { t } = useTranslation();
  const date = useDate();
  const admin = useSession().session.user.role === 'admin';
  const list = useLoad(() => api('GET', '/api/templates', listSchema), []);
  const [syncing, setSyncing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const syncNow = async () => {
    setSyncing(true);
    setError(null);
    setNotice(null);
    try {
      const r = await api('POST', '/api/templates/sync', syncSchema);
      setNotice(r.limited ? t('templates.syncedLimited', { created: r.created }) : t('templates.synced', { created: r.created }));
      list.reload();
    } catch (e) {
      setError(e);
    } finally {
      setSyncing(false);
    }
  };

  const items = list.data?.items ?? [];
  const names = [...new Set(items.map((i) => i.name))];
  return (
    <>
      <p className="muted">{t('templates.intro')}</p>
      {admin ? (
        <div className="row">
          <button type="button" onClick={() => void syncNow()} disabled={syncing} aria-busy={syncing}>{syncing ? t('templates.syncing') : t('templates.syncNow')}</button>
        </div>
      ) : null}
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorAlert error={error} />
      <section aria-labelledby="templates-list" aria-busy={list.loading}>
        <h2 id="templates-list">{t('templates.list')}</h2>
        <ErrorAlert error={list.error} />
        {list.loading && !list.data ? <Loading /> : null}
        {list.data && items.length === 0 ? <p className="muted">{t('templates.none')}</p> : null}
        {names.map((name) => (
          <div className="table-wrap" key={name}>
            <table className="templates" data-template={name}>
              <caption>
                {t(`templates.names.${name}`, { defaultValue: name })} <code>{name}</code>
              </caption>
              <thead>
                <tr>
                  <th scope="col">{t('templates.language')}</th><th scope="col">{t('templates.category')}</th><th scope="col">{t('templates.status')}</th>
                  <th scope="col">{t('templates.reason')}</th><th scope="col">{t('templates.syncedAt')}</th>
                </tr>
              </thead>
              <tbody>
                {items.filter((i) => i.name === name).map((i) => (
                  <tr key={i.language} data-language={i.language}>
                    <td>{languageName(i.language)}</td>
                    <td>{t(`templates.categories.${i.category}`, { defaultValue: i.category })}</td>
                    <td><span className={`badge tpl-${tone(i.status)}`} data-status={i.status}>{t(`templates.statuses.${i.status}`)}</span></td>
                    <td>{i.reason ?? '—'}</td>
                    <td>{date(i.syncedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      </section>
    </>
  );
}

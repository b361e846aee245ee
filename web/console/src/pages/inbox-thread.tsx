// One patient's thread in the inbox: messages both ways (delivery ticks on ours: ✓ sent, ✓✓ delivered, blue
// ✓✓ read, failed), internal notes, handoff history and standby items (another app handled them), the
// handoff buttons (take over, assign to me, hand back), and a composer that says whether free text can go
// (the 24-hour window is open, and until when) or a template is needed.
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { api, send } from '../api';
import { ErrorAlert, Loading, useDate, useLoad } from '../components/ui';
import { Link } from '../router';

export const handoffSchema = z.object({
  id: z.string(),
  state: z.enum(['open', 'assigned', 'closed']),
  reason: z.string(),
  priority: z.enum(['emergency', 'high', 'normal']),
  assignedTo: z.string().nullable(),
  openedAt: z.string(),
  closedAt: z.string().nullable().optional(),
});

const content = z.object({ type: z.string(), text: z.string().nullable(), media: z.boolean(), choices: z.array(z.string()).optional() });
const entry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('in'), id: z.string(), at: z.string(), content }),
  z.object({ kind: z.literal('out'), id: z.string(), at: z.string(), content, delivery: z.enum(['queued', 'sent', 'delivered', 'read', 'failed', 'cancelled']), by: z.enum(['bot', 'staff']), errorCode: z.number().nullable() }),
  z.object({ kind: z.literal('note'), id: z.string(), at: z.string(), text: z.string().nullable(), authorId: z.string().nullable() }),
  z.object({ kind: z.literal('event'), id: z.string(), at: z.string(), event: z.string(), actorType: z.string(), actorId: z.string().nullable(), assignedTo: z.string().nullable() }),
  z.object({ kind: z.literal('standby'), id: z.string(), at: z.string(), item: z.string(), content, status: z.string().nullable() }),
]);
type Entry = z.infer<typeof entry>;
type Content = z.infer<typeof content>;
const threadSchema = z.object({
  patientId: z.string(),
  displayName: z.string().nullable(),
  phoneMasked: z.string().nullable(),
  language: z.string().nullable(),
  handoff: handoffSchema.nullable(),
  windowOpen: z.boolean(),
  windowClosesAt: z.string().nullable(),
  alerts: z.array(z.object({ id: z.number(), kind: z.string(), codes: z.array(z.string()), createdAt: z.string() })),
  entries: z.array(entry),
});
const ok = z.unknown();

export function Thread({ patientId, tick, onChanged }: { patientId: string; tick: number; onChanged(): void }) {
  const { t } = useTranslation();
  const date = useDate();
  const base = `/api/conversations/${encodeURIComponent(patientId)}`;
  const thread = useLoad(() => api('GET', base, threadSchema), [base, tick]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      thread.reload();
      onChanged();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (thread.loading && !thread.data) return <Loading />;
  if (!thread.data) return <ErrorAlert error={thread.error} />;
  const th = thread.data;
  const h = th.handoff && th.handoff.state !== 'closed' ? th.handoff : null;
  return (
    <>
      <header className="thread-head">
        <h2 id="inbox-thread-title" className="patient-name">{th.displayName ?? t('inbox.noName')}</h2>
        <p className="muted">
          {th.phoneMasked ?? '—'} · {th.language ?? '—'} · <Link to={`/patients/${encodeURIComponent(th.patientId)}`}>{t('inbox.profile')}</Link>
        </p>
        <p data-testid="handoff-state">
          {h ? (h.priority === 'emergency' ? <span className="badge danger">{t('inbox.emergency')}</span> : null) : null}{' '}
          {h ? (h.state === 'assigned' ? t('inbox.stateAssigned') : t('inbox.stateOpen')) : t('inbox.stateBot')}
        </p>
        {th.alerts.length > 0 ? (
          <ul className="thread-alerts">
            {th.alerts.map((a) => (
              <li key={a.id} className="alert error">
                {t('inbox.alertLine', { kind: t(`inbox.alertKinds.${a.kind}`, { defaultValue: a.kind }), codes: a.codes.join(', ') })}{' '}
                <button type="button" className="secondary" disabled={busy} onClick={() => void act(() => send('POST', `/api/alerts/${a.id}/ack`))}>{t('inbox.ack')}</button>
              </li>
            ))}
          </ul>
        ) : null}
        <div className="inline thread-actions">
          {!h ? <button type="button" disabled={busy} onClick={() => void act(() => api('POST', `${base}/takeover`, ok))}>{t('inbox.takeover')}</button> : null}
          <button type="button" className="secondary" disabled={busy} onClick={() => void act(() => api('POST', `${base}/assign`, ok, {}))}>{t('inbox.assignMe')}</button>
          {h ? <button type="button" className="secondary" disabled={busy} onClick={() => void act(() => api('POST', `${base}/handback`, ok))}>{t('inbox.handback')}</button> : null}
        </div>
        <ErrorAlert error={error} />
      </header>
      <ol className="thread" data-testid="thread" aria-label={t('inbox.thread')}>
        {th.entries.map((e) => <EntryView key={e.id} e={e} />)}
      </ol>
      <Composer windowOpen={th.windowOpen} closesAt={th.windowClosesAt} busy={busy}
        onSend={(text) => act(() => api('POST', `${base}/reply`, ok, { text }))}
        onNote={(text) => act(() => api('POST', `${base}/notes`, ok, { text }))} />
    </>
  );
}

function words(c: Content, t: TFunction): string {
  const placeholder = c.media || !c.text ? t('inbox.placeholder', { type: t(`inbox.types.${c.type}`, { defaultValue: c.type }) }) : '';
  return [placeholder, c.text ?? ''].filter(Boolean).join(' ');
}

function Ticks({ d }: { d: 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'cancelled' }) {
  const { t } = useTranslation();
  const mark = d === 'queued' ? '🕓' : d === 'sent' ? '✓' : d === 'delivered' || d === 'read' ? '✓✓' : d === 'failed' ? `⚠ ${t('inbox.delivery.failed')}` : t('inbox.delivery.cancelled');
  return <span className={`ticks ${d}`} data-testid="ticks" data-delivery={d} title={t(`inbox.delivery.${d}`)} aria-label={t(`inbox.delivery.${d}`)}>{mark}</span>;
}

function EntryView({ e }: { e: Entry }) {
  const { t } = useTranslation();
  const date = useDate();
  const at = <time className="muted" dateTime={e.at}>{date(e.at)}</time>;
  switch (e.kind) {
    case 'in':
      return <li className="msg in" data-testid="msg-in"><span className="msg-text">{words(e.content, t)}</span> {at}</li>;
    case 'out':
      return (
        <li className={`msg out ${e.by}`} data-testid={`msg-out-${e.by}`}>
          <span className="msg-by muted">{t(`inbox.by.${e.by}`)}</span>
          <span className="msg-text">{words(e.content, t)}</span>
          {e.content.choices?.length ? <span className="msg-choices muted">[{e.content.choices.join(' | ')}]</span> : null}
          {' '}{at} <Ticks d={e.delivery} />
        </li>
      );
    case 'note':
      return <li className="msg note" data-testid="note"><span className="msg-by">{t('inbox.note')}</span> <span className="msg-text">{e.text ?? t('inbox.unreadable')}</span> {at}</li>;
    case 'event':
      return <li className="event muted" data-testid="event">{t(`inbox.events.${e.event}`, { defaultValue: e.event })} · {at}</li>;
    case 'standby':
      return (
        <li className={`msg standby ${e.item === 'message' ? 'in' : 'out'}`} data-testid="standby">
          <span className="msg-by muted">{t('inbox.standby')}</span>{' '}
          <span className="msg-text">{e.item === 'status' ? t('inbox.standbyStatus', { status: e.status ?? '' }) : words(e.content, t)}</span> {at}
        </li>
      );
  }
}

function Composer({ windowOpen, closesAt, busy, onSend, onNote }: { windowOpen: boolean; closesAt: string | null; busy: boolean; onSend(text: string): Promise<boolean>; onNote(text: string): Promise<boolean> }) {
  const { t } = useTranslation();
  const date = useDate();
  const replyId = useId();
  const noteId = useId();
  const [text, setText] = useState('');
  const [note, setNote] = useState('');
  useEffect(() => setText(''), [windowOpen]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() && (await onSend(text.trim()))) setText('');
  };
  const submitNote = async (e: FormEvent) => {
    e.preventDefault();
    if (note.trim() && (await onNote(note.trim()))) setNote('');
  };
  return (
    <div className="composer">
      <form onSubmit={(e) => void submit(e)} className="field">
        <label htmlFor={replyId}>{t('inbox.reply')}</label>
        <p id={`${replyId}-hint`} data-testid="window" data-open={windowOpen ? 'yes' : 'no'} className={windowOpen ? 'muted' : 'alert error'}>
          {windowOpen ? t('inbox.windowOpen', { at: date(closesAt) }) : t('inbox.windowClosed', { at: date(closesAt) })}
        </p>
        <textarea id={replyId} rows={3} maxLength={4096} value={text} disabled={!windowOpen || busy} aria-describedby={`${replyId}-hint`} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={!windowOpen || busy || !text.trim()}>{t('inbox.send')}</button>
      </form>
      <form onSubmit={(e) => void submitNote(e)} className="field">
        <label htmlFor={noteId}>{t('inbox.noteLabel')}</label>
        <textarea id={noteId} rows={2} maxLength={4096} value={note} disabled={busy} onChange={(e) => setNote(e.target.value)} />
        <button type="submit" className="secondary" disabled={busy || !note.trim()}>{t('inbox.addNote')}</button>
      </form>
    </div>
  );
}

// The staff inbox: conversations that need a human first (emergencies marked and on top), kept current by
// the server's event stream (EventSource on /api/conversations/events: PHI-free "this conversation changed"
// events, then the console reloads what it shows), and the selected patient's thread beside the list.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { api, query } from '../api';
import { ErrorAlert, Loading, MoreButton, useDate, usePaged } from '../components/ui';
import type { PageProps } from '../pages';
import { Link } from '../router';
import { listOf } from '../schemas';
import { handoffSchema, Thread } from './inbox-thread';
import './inbox.css';

const conversationSchema = z.object({
  patientId: z.string(),
  displayName: z.string().nullable(),
  phoneMasked: z.string().nullable(),
  language: z.string().nullable(),
  handoff: handoffSchema.nullable(),
  lastMessageAt: z.string().nullable(),
  lastMessagePreview: z.string().nullable(),
  lastMessageDirection: z.enum(['in', 'out']).nullable(),
  unread: z.number(),
  windowOpen: z.boolean(),
  windowClosesAt: z.string().nullable(),
  alerts: z.number(),
});
type Conversation = z.infer<typeof conversationSchema>;
const conversations = listOf(conversationSchema);

const eventSchema = z.union([z.object({ type: z.literal('conversation'), patientId: z.string() }), z.object({ type: z.literal('alert'), kind: z.string() })]);
export type InboxEvent = z.infer<typeof eventSchema>;

const FILTERS = ['needs_human', 'all', 'bot', 'closed'] as const;
type Filter = (typeof FILTERS)[number];

/**
 * Calls `onEvent` for each event of the inbox stream while mounted. EventSource reconnects by itself (the
 * server asks for 3 s); `live` says whether the stream is open now.
 */
function useInboxEvents(onEvent: (e: InboxEvent) => void): boolean {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const [live, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource('/api/conversations/events');
    const read = (m: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(m.data);
      } catch {
        return;
      }
      const e = eventSchema.safeParse(data);
      if (e.success) handler.current(e.data);
    };
    source.addEventListener('conversation', read);
    source.addEventListener('alert', read);
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    return () => source.close();
  }, []);
  return live;
}

export default function InboxPage({ params }: PageProps) {
  const { t } = useTranslation();
  const selected = params['patientId'] ?? null;
  const [filter, setFilter] = useState<Filter>('needs_human');
  const list = usePaged((cursor) => api('GET', `/api/conversations${query({ state: filter, cursor, limit: '50' })}`, conversations), [filter]);
  const [threadTick, setThreadTick] = useState(0);
  // Events come in bursts (a message, its reply, their statuses): one reload per burst.
  const pending = useRef<{ list: boolean; thread: boolean; timer: number | null }>({ list: false, thread: false, timer: null });
  const reloadList = list.reload;
  const live = useInboxEvents((e) => {
    pending.current.list = true;
    if (e.type === 'conversation' && e.patientId === selected) pending.current.thread = true;
    if (pending.current.timer !== null) return;
    pending.current.timer = window.setTimeout(() => {
      const p = pending.current;
      p.timer = null;
      if (p.list) reloadList();
      if (p.thread) setThreadTick((n) => n + 1);
      p.list = false;
      p.thread = false;
    }, 250);
  });
  useEffect(() => () => {
    if (pending.current.timer !== null) window.clearTimeout(pending.current.timer);
  }, []);

  return (
    <div className="inbox">
      <section className="inbox-list card" aria-labelledby="inbox-list-title" aria-busy={list.loading}>
        <h2 id="inbox-list-title">{t('inbox.conversations')}</h2>
        <p className="muted inbox-live" role="status" data-testid="inbox-live" data-live={live ? 'on' : 'off'}>{live ? t('inbox.liveOn') : t('inbox.liveOff')}</p>
        <div className="inbox-filters" role="group" aria-label={t('inbox.filter')}>
          {FILTERS.map((f) => (
            <button key={f} type="button" className={f === filter ? '' : 'secondary'} aria-pressed={f === filter} onClick={() => setFilter(f)}>{t(`inbox.filters.${f}`)}</button>
          ))}
        </div>
        <ErrorAlert error={list.error} />
        {!list.loading && !list.error && list.items.length === 0 ? <p className="muted">{t('inbox.none')}</p> : null}
        <ul className="inbox-items" data-testid="inbox-items">
          {list.items.map((c) => <Item key={c.patientId} c={c} current={c.patientId === selected} />)}
        </ul>
        {list.loading ? <Loading /> : null}
        <MoreButton list={list} />
      </section>
      <section className="inbox-thread card" aria-labelledby="inbox-thread-title">
        {selected ? <Thread patientId={selected} tick={threadTick} onChanged={reloadList} /> : <h2 id="inbox-thread-title" className="muted">{t('inbox.choose')}</h2>}
      </section>
    </div>
  );
}

function Item({ c, current }: { c: Conversation; current: boolean }) {
  const { t } = useTranslation();
  const date = useDate();
  const h = c.handoff;
  const emergency = h?.priority === 'emergency';
  return (
    <li className={`inbox-item${emergency ? ' emergency' : ''}${current ? ' current' : ''}`} data-testid="inbox-item" data-patient={c.patientId} data-priority={h?.priority ?? 'none'}>
      <Link to={`/inbox/${encodeURIComponent(c.patientId)}`} aria-current={current ? 'true' : undefined}>
        <span className="inbox-item-head">
          <strong className="inbox-name">{c.displayName ?? t('inbox.noName')}</strong>
          {emergency ? <span className="badge danger" data-testid="emergency-badge">{t('inbox.emergency')}</span> : null}
          {h && !emergency ? <span className="badge">{h.state === 'assigned' ? t('inbox.assigned') : t('inbox.waiting')}</span> : null}
          {c.alerts > 0 ? <span className="badge danger">{t('inbox.alerts', { count: c.alerts })}</span> : null}
          {c.unread > 0 ? <span className="badge" title={t('inbox.unreadTitle')}>{c.unread}</span> : null}
        </span>
        <span className="inbox-preview">{c.lastMessageDirection === 'out' ? `${t('inbox.you')} ` : ''}{c.lastMessagePreview ?? ''}</span>
        <span className="muted inbox-meta">{c.phoneMasked ?? '—'} · {date(c.lastMessageAt)}</span>
      </Link>
    </li>
  );
}

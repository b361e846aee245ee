// The clinic's FAQ (every role reads it; admins and clinicians edit): entries listed by topic and language,
// an editor for the question, the ways patients ask it (variants, one a line), the answer with a counter
// against WhatsApp's 4,096 characters and an https link, adding and deleting entries, and "try a question":
// what the matcher gives a patient who writes this (POST /api/faq/match).
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { api, query, send } from '../api';
import { ErrorAlert, Field, Loading, MoreButton, Notice, useDate, usePaged } from '../components/ui';
import { listOf } from '../schemas';
import { useSession } from '../session';

const LANGS = ['en', 'fr', 'it', 'es', 'pt', 'de'] as const;
type Lang = (typeof LANGS)[number];
const BUILT_IN = ['opening_hours', 'location', 'insurance', 'payment', 'accessibility', 'what_to_bring', 'cancellation_policy'] as const;
const ANSWER_MAX = 4096;
const VARIANTS_MAX = 30;

const entrySchema = z.object({
  id: z.string(),
  topic: z.string(),
  language: z.string(),
  locationId: z.string().nullable(),
  question: z.string(),
  variants: z.array(z.string()),
  answer: z.string(),
  link: z.string().nullable(),
  title: z.string().nullable(),
  updatedAt: z.string(),
  updatedBy: z.string().nullable(),
});
type Entry = z.infer<typeof entrySchema>;
const entries = listOf(entrySchema);
const matchSchema = z.object({
  match: z.object({ id: z.string(), topic: z.string(), language: z.string(), question: z.string(), answer: z.string(), link: z.string().nullable(), score: z.number() }).nullable(),
  threshold: z.number(),
});
type MatchResult = z.infer<typeof matchSchema>;

const isBuiltIn = (t: string) => (BUILT_IN as readonly string[]).includes(t);

function useTopicName() {
  const { t } = useTranslation();
  return (topic: string) => (isBuiltIn(topic) ? t(`faq.topics.${topic}`) : topic);
}

export default function Faq() {
  const { t } = useTranslation();
  const date = useDate();
  const topicName = useTopicName();
  const role = useSession().session.user.role;
  const canEdit = role === 'admin' || role === 'clinician';
  const [topic, setTopic] = useState('');
  const [language, setLanguage] = useState('');
  const list = usePaged((cursor) => api('GET', `/api/faq${query({ topic, language, cursor, limit: '100' })}`, entries), [topic, language]);
  const [editing, setEditing] = useState<Entry | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const customTopics = [...new Set(list.items.map((e) => e.topic).filter((x) => !isBuiltIn(x)))].sort();

  const done = (message: string) => {
    setEditing(null);
    setNotice(message);
    list.reload();
  };

  return (
    <div className="faq">
      <p className="muted">{t('faq.intro')}</p>
      <form className="card row" aria-label={t('faq.filters')} onSubmit={(e) => e.preventDefault()}>
        <Field label={t('faq.topic')}>
          {(id) => (
            <select id={id} name="topic" value={topic} onChange={(e) => setTopic(e.target.value)}>
              <option value="">{t('faq.allTopics')}</option>
              {[...BUILT_IN, ...customTopics].map((x) => <option key={x} value={x}>{topicName(x)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('faq.language')}>
          {(id) => (
            <select id={id} name="language" value={language} onChange={(e) => setLanguage(e.target.value)}>
              <option value="">{t('faq.allLanguages')}</option>
              {LANGS.map((l) => <option key={l} value={l}>{t(`faq.languages.${l}`)}</option>)}
            </select>
          )}
        </Field>
        {canEdit ? <div className="row"><button type="button" onClick={() => { setNotice(null); setEditing('new'); }}>{t('faq.add')}</button></div> : null}
      </form>

      {notice ? <Notice>{notice}</Notice> : null}
      {editing ? (
        <Editor key={editing === 'new' ? 'new' : editing.id} entry={editing === 'new' ? null : editing} canEdit={canEdit}
          onSaved={(e) => done(t('faq.saved', { topic: topicName(e.topic), language: e.language }))}
          onDeleted={() => done(t('faq.deleted'))} onCancel={() => setEditing(null)} />
      ) : null}

      <section aria-labelledby="faq-entries" aria-busy={list.loading}>
        <h2 id="faq-entries">{t('faq.entries')}</h2>
        <ErrorAlert error={list.error} />
        {list.items.length === 0 && !list.loading && !list.error ? <p className="muted">{t('faq.none')}</p> : null}
        {list.items.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">{t('faq.topic')}</th><th scope="col">{t('faq.language')}</th><th scope="col">{t('faq.question')}</th><th scope="col">{t('faq.variantCount')}</th><th scope="col">{t('faq.updated')}</th><th scope="col">{t('faq.actions')}</th></tr></thead>
              <tbody>
                {list.items.map((e) => (
                  <tr key={e.id} data-topic={e.topic} data-language={e.language}>
                    <td>{topicName(e.topic)}{e.locationId ? <small className="muted"> {t('faq.locationOnly')}</small> : null}</td>
                    <td>{e.language}</td>
                    <td className="break">{e.question}</td>
                    <td>{e.variants.length}</td>
                    <td>{date(e.updatedAt)}</td>
                    <td><button type="button" className="secondary" onClick={() => { setNotice(null); setEditing(e); }}>
                      {canEdit ? t('faq.edit') : t('faq.view')}<span className="sr-only"> {topicName(e.topic)} ({e.language})</span>
                    </button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {list.loading ? <Loading /> : null}
        <MoreButton list={list} />
      </section>

      <TryQuestion />
    </div>
  );
}

interface Form {
  topic: string;
  custom: string;
  title: string;
  language: Lang;
  question: string;
  variants: string;
  answer: string;
  link: string;
}

function formOf(e: Entry | null): Form {
  if (!e) return { topic: 'opening_hours', custom: '', title: '', language: 'en', question: '', variants: '', answer: '', link: '' };
  const builtIn = isBuiltIn(e.topic);
  return {
    topic: builtIn ? e.topic : 'custom', custom: builtIn ? '' : e.topic, title: e.title ?? '',
    language: (LANGS as readonly string[]).includes(e.language) ? (e.language as Lang) : 'en',
    question: e.question, variants: e.variants.join('\n'), answer: e.answer, link: e.link ?? '',
  };
}

function Editor({ entry, canEdit, onSaved, onDeleted, onCancel }: { entry: Entry | null; canEdit: boolean; onSaved(e: Entry): void; onDeleted(): void; onCancel(): void }) {
  const { t } = useTranslation();
  const topicName = useTopicName();
  const [form, setForm] = useState<Form>(() => formOf(entry));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const variants = form.variants.split('\n').map((v) => v.trim()).filter((v) => v.length > 0);
  const answerLength = [...form.answer].length;
  const custom = form.topic === 'custom';
  const set = (k: keyof Form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!canEdit) return;
    setBusy(true);
    setError(null);
    const body = {
      topic: custom ? form.custom.trim() : form.topic,
      language: form.language,
      locationId: entry?.locationId ?? null,
      question: form.question,
      variants,
      answer: form.answer,
      link: form.link.trim() || null,
      title: form.title.trim() || null,
    };
    try {
      const saved = entry
        ? await api('PUT', `/api/faq/${encodeURIComponent(entry.id)}`, entrySchema, body)
        : await api('POST', '/api/faq', entrySchema, body);
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!entry || !canEdit) return;
    setBusy(true);
    setError(null);
    try {
      await send('DELETE', `/api/faq/${encodeURIComponent(entry.id)}`);
      onDeleted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const heading = entry ? t('faq.editing', { topic: topicName(entry.topic), language: entry.language }) : t('faq.new');
  return (
    <section aria-labelledby="faq-editor">
      <h2 id="faq-editor">{heading}</h2>
      <form className="card grid" onSubmit={submit}>
        <Field label={t('faq.topic')}>
          {(id) => (
            <select id={id} name="topic" value={form.topic} disabled={!canEdit} onChange={set('topic')}>
              {BUILT_IN.map((x) => <option key={x} value={x}>{topicName(x)}</option>)}
              <option value="custom">{t('faq.customTopic')}</option>
            </select>
          )}
        </Field>
        {custom ? (
          <Field label={t('faq.customSlug')} hint={t('faq.customSlugHint')}>
            {(id, hint) => <input id={id} name="custom" required pattern="[a-z0-9]+(-[a-z0-9]+)*" maxLength={64} aria-describedby={hint} disabled={!canEdit} value={form.custom} onChange={set('custom')} />}
          </Field>
        ) : null}
        <Field label={t('faq.language')}>
          {(id) => (
            <select id={id} name="language" value={form.language} disabled={!canEdit} onChange={set('language')}>
              {LANGS.map((l) => <option key={l} value={l}>{t(`faq.languages.${l}`)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('faq.title')} hint={t('faq.titleHint')}>
          {(id, hint) => <input id={id} name="title" maxLength={24} required={custom} aria-describedby={hint} disabled={!canEdit} value={form.title} onChange={set('title')} />}
        </Field>
        <div className="wide">
          <Field label={t('faq.question')}>
            {(id) => <input id={id} name="question" required maxLength={500} disabled={!canEdit} value={form.question} onChange={set('question')} />}
          </Field>
        </div>
        <div className="wide">
          <Field label={t('faq.variants')} hint={t('faq.variantsHint', { n: variants.length, max: VARIANTS_MAX })}>
            {(id, hint) => <textarea id={id} name="variants" rows={6} aria-describedby={hint} disabled={!canEdit} value={form.variants} onChange={set('variants')} />}
          </Field>
        </div>
        <div className="wide">
          <Field label={t('faq.answer')} hint={t('faq.answerCount', { n: answerLength, max: ANSWER_MAX })}>
            {(id, hint) => <textarea id={id} name="answer" rows={10} required aria-describedby={hint} aria-invalid={answerLength > ANSWER_MAX} disabled={!canEdit} value={form.answer} onChange={set('answer')} />}
          </Field>
          {answerLength > ANSWER_MAX ? <p className="alert error" role="alert">{t('faq.answerTooLong', { max: ANSWER_MAX })}</p> : null}
        </div>
        <Field label={t('faq.link')} hint={t('faq.linkHint')}>
          {(id, hint) => <input id={id} name="link" type="url" pattern="https://.+" maxLength={2000} aria-describedby={hint} disabled={!canEdit} value={form.link} onChange={set('link')} />}
        </Field>
        <ErrorAlert error={error} />
        <div className="row">
          {canEdit ? <button type="submit" disabled={busy || answerLength > ANSWER_MAX || variants.length > VARIANTS_MAX}>{t('faq.save')}</button> : null}
          <button type="button" className="secondary" onClick={onCancel}>{canEdit ? t('faq.cancel') : t('faq.close')}</button>
          {canEdit && entry ? (
            confirmDelete
              ? <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>{t('faq.confirmDelete')}</button>
              : <button type="button" className="danger" disabled={busy} onClick={() => setConfirmDelete(true)}>{t('faq.delete')}</button>
          ) : null}
        </div>
      </form>
    </section>
  );
}

function TryQuestion() {
  const { t } = useTranslation();
  const topicName = useTopicName();
  const [text, setText] = useState('');
  const [language, setLanguage] = useState<Lang>('en');
  const [result, setResult] = useState<MatchResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setResult(await api('POST', '/api/faq/match', matchSchema, { text, language }));
    } catch (err) {
      setError(err);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="faq-try">
      <h2 id="faq-try">{t('faq.try')}</h2>
      <form className="card grid" onSubmit={submit}>
        <p className="muted">{t('faq.tryHint')}</p>
        <div className="wide">
          <Field label={t('faq.tryText')}>{(id) => <input id={id} name="try" required maxLength={4096} value={text} onChange={(e) => setText(e.target.value)} />}</Field>
        </div>
        <Field label={t('faq.language')}>
          {(id) => (
            <select id={id} name="tryLanguage" value={language} onChange={(e) => { const l = LANGS.find((x) => x === e.target.value); if (l) setLanguage(l); }}>
              {LANGS.map((l) => <option key={l} value={l}>{t(`faq.languages.${l}`)}</option>)}
            </select>
          )}
        </Field>
        <ErrorAlert error={error} />
        <div className="row"><button type="submit" disabled={busy}>{t('faq.tryButton')}</button></div>
      </form>
      {result ? (
        <div className="card" data-testid="faq-try-result" role="status">
          {result.match ? (
            <>
              <p><strong>{topicName(result.match.topic)}</strong> ({result.match.language}) · {t('faq.score', { score: result.match.score.toFixed(2) })}</p>
              <p className="break"><em>{result.match.question}</em></p>
              <p className="break faq-answer">{result.match.answer}</p>
              {result.match.link ? <p className="break">{result.match.link}</p> : null}
            </>
          ) : <p>{t('faq.noMatch', { threshold: result.threshold.toFixed(2) })}</p>}
        </div>
      ) : null}
    </section>
  );
}

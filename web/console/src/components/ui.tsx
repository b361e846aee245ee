// Small shared pieces: a labelled field, an error alert that speaks the API's error codes, dates in the
// user's language, and a hook for "load this, show loading/error".
import { useCallback, useEffect, useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { ApiError } from '../api';

export function errorText(e: unknown, t: TFunction): string {
  if (e instanceof ApiError) return t(`errors.${e.code}`, { defaultValue: e.title || t('errors.generic') });
  return t('errors.generic');
}

export function ErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  // The server's detail (PHI-free by rule, in English) says what to change, e.g. why a password is too weak.
  const detail = error instanceof ApiError && error.detail ? error.detail : null;
  // A 400's issues say which field and why (the server's words, PHI-free by the same rule): "/text: is not …".
  const issues = error instanceof ApiError ? error.issues : [];
  if (issues.length === 0) return <p className="alert error" role="alert">{errorText(error, t)}{detail ? <><br /><small>{detail}</small></> : null}</p>;
  return (
    <div className="alert error" role="alert">
      {errorText(error, t)}{detail ? <><br /><small>{detail}</small></> : null}
      <ul className="issues">{issues.map((i, n) => <li key={n}><small><code>{i.path}</code> {i.message}</small></li>)}</ul>
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return <p className="alert ok" role="status">{children}</p>;
}

/** A label above its control; the control gets the id. */
export function Field({ label, hint, children }: { label: string; hint?: string; children: (id: string, hintId?: string) => ReactNode }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, hintId)}
      {hint ? <small id={hintId}>{hint}</small> : null}
    </div>
  );
}

/** A labelled select over `options`, [value, label] pairs in their order. */
export function SelectField<V extends string>({ label, value, options, onChange }: { label: string; value: V; options: readonly (readonly [V, string])[]; onChange: (value: V) => void }) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value as V)}>
          {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
        </select>
      )}
    </Field>
  );
}

/** The locale for dates: the browser's regional variant when it speaks the chosen language (en-GB dates for a British browser). */
export function useLocale(): string {
  const { i18n } = useTranslation();
  return navigator.language.toLowerCase().startsWith(i18n.language) ? navigator.language : i18n.language;
}

export function useDate(): (iso: string | null | undefined) => string {
  const locale = useLocale();
  return (iso) => {
    if (!iso) return '—';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' }).format(d);
  };
}

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` now and whenever `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [run, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

export function Loading() {
  const { t } = useTranslation();
  return <p className="muted" role="status">{t('common.loading')}</p>;
}

export interface Paged<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  /** There is a next page (the API gave a nextCursor). */
  hasMore: boolean;
  more(): void;
  reload(): void;
}

/** A `{ items, nextCursor }` list: the first page whenever `deps` change, the next ones on more(). */
export function usePaged<T>(load: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>, deps: readonly unknown[]): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  const fetchPage = useCallback(async (after: string | null, live: () => boolean) => {
    setLoading(true);
    setError(null);
    try {
      const r = await run(after);
      if (!live()) return;
      setItems((old) => (after ? [...old, ...r.items] : r.items));
      setCursor(r.nextCursor);
    } catch (e) {
      if (live()) setError(e);
    } finally {
      if (live()) setLoading(false);
    }
  }, [run]);
  useEffect(() => {
    let live = true;
    void fetchPage(null, () => live);
    return () => {
      live = false;
    };
  }, [fetchPage, tick]);
  return {
    items, error, loading, hasMore: cursor !== null,
    more: () => void fetchPage(cursor, () => true),
    reload: () => setTick((n) => n + 1),
  };
}

/** The "more" button under a paged list. */
export function MoreButton({ list }: { list: Paged<unknown> }) {
  const { t } = useTranslation();
  if (!list.hasMore || list.loading) return null;
  return <button type="button" className="secondary" onClick={list.more}>{t('common.more')}</button>;
}

// The store behind @fastify/rate-limit on the sign-in routes: counts in PostgreSQL, so that the per-IP limit
// holds across every instance on the database (an in-process count would give each instance its own).
// A fixed window per key: the first hit after the window has passed starts a new one.
import type { FastifyRateLimitOptions, FastifyRateLimitStore } from '@fastify/rate-limit';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';

/** Rows whose window ended long ago are deleted now and then (about one hit in this many). */
const SWEEP_ONE_IN = 200;
const SWEEP_AFTER_MS = 3_600_000;

export function postgresRateLimitStore(db: Db, clock: Clock): new (options: FastifyRateLimitOptions) => FastifyRateLimitStore {
  async function hit(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
    const now = clock.now();
    const cutoff = new Date(now.getTime() - windowMs);
    const r = await sql<{ hits: number; window_started_at: Date }>`
      insert into auth_rate_limits as r (key, window_started_at, hits) values (${key}, ${now}, 1)
      on conflict (key) do update set
        hits = case when r.window_started_at <= ${cutoff} then 1 else r.hits + 1 end,
        window_started_at = case when r.window_started_at <= ${cutoff} then ${now} else r.window_started_at end
      returning hits, window_started_at`.execute(db);
    const row = r.rows[0]!;
    if (Math.floor(Math.random() * SWEEP_ONE_IN) === 0) {
      await db.deleteFrom('auth_rate_limits').where('window_started_at', '<', new Date(now.getTime() - SWEEP_AFTER_MS)).execute();
    }
    return { current: Number(row.hits), ttl: Math.max(0, new Date(row.window_started_at).getTime() + windowMs - now.getTime()) };
  }

  class PostgresStore implements FastifyRateLimitStore {
    incr(key: string, cb: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      hit(key, timeWindow).then((res) => cb(null, res), (e: unknown) => cb(e instanceof Error ? e : new Error('rate limit store failed')));
    }
    // Keys carry the route (see the key generator), so every route shares the one table.
    child(): FastifyRateLimitStore {
      return new PostgresStore();
    }
  }
  return PostgresStore;
}

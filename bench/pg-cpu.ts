// CPU time of the PostgreSQL backends serving one database, read from /proc (the server runs on this
// machine). Lets the benchmark say how much of each request's cost sits in the database.
import fs from 'node:fs';
import pg from 'pg';

const TICKS_PER_S = 100; // getconf CLK_TCK on Linux

/** Backend pid → CPU ms (user + system) so far, for the backends connected to `database`. */
export async function backendCpu(adminUrl: string, database: string): Promise<Map<number, number>> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
    const out = new Map<number, number>();
    for (const { pid } of r.rows) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S);
      } catch {
        // A backend that just ended, or /proc not readable (server on another machine): not counted.
      }
    }
    return out;
  } finally {
    await c.end();
  }
}

/** CPU ms used between two samples; a backend that started in between counts from zero. */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, v] of after) ms += v - (before.get(pid) ?? 0);
  return ms;
}

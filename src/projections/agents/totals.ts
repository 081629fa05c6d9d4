import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { ReadModels } from '../schema.ts';
import { ALL_AGENTS, countScope } from './agentCounts.ts';
import { countThreadOf } from './countThread.ts';

/** What a listing's total depends on: the filter without its page, and the online cutoff. */
export type TotalFilter = {
  status?: 'online' | 'offline';
  enrollment?: string;
  group?: string;
  q?: string;
  version?: string;
};

/**
 * How long a total that depends on heartbeats and time (online, offline, version) may trail them
 * while a fresh count is made on the count thread: the flag itself is judged to the second.
 */
export const TOTAL_TRAILS_MS = 2_000;

/**
 * How many agents match a listing filter. Without `status`, `q` or `version` the number is read from
 * the counts the agents projection keeps (no row is counted). Otherwise it is counted — on a thread of
 * its own when the read models are a file — and kept until the agents change (and, for a total that
 * depends on heartbeats, for the second of `cutoff`, served up to TOTAL_TRAILS_MS late while the next
 * count is made). `offline` is the scope's count less the online one.
 */
export const agentTotal = async (db: Kysely<ReadModels>, f: TotalFilter, cutoff: string): Promise<number> => {
  const scope = countScope(f);
  if (f.q === undefined && f.version === undefined) {
    if (f.status === undefined) return scopeCount(db, scope);
    const online = await heldCount(db, { ...f, status: 'online' }, cutoff);
    return f.status === 'online' ? online : (await scopeCount(db, scope)) - online;
  }
  return heldCount(db, f, cutoff);
};

const scopeCount = async (db: Kysely<ReadModels>, scope: string): Promise<number> =>
  (await db.selectFrom('agent_counts').select('agents').where('scope', '=', scope).executeTakeFirst())?.agents ?? 0;

// The last agent event applied: every one rewrites the `all` count row.
const agentsVersion = async (db: Kysely<ReadModels>): Promise<number> =>
  (await db.selectFrom('agent_counts').select('seq').where('scope', '=', ALL_AGENTS).executeTakeFirst())?.seq ?? 0;

// The count of a filter, with only the joins it needs (the listing's own joins cost more than the count).
const countQuery = (f: TotalFilter, cutoff: string): RawBuilder<{ n: number }> => {
  const joins: RawBuilder<unknown>[] = [];
  const where: RawBuilder<unknown>[] = [sql`1`];
  if (f.status === 'online') {
    joins.push(sql`join agent_heartbeats h on h.pc_id = a.pc_id`);
    where.push(sql`h.at >= ${cutoff}`);
  } else if (f.status === 'offline' || f.version !== undefined) {
    joins.push(sql`left join agent_heartbeats h on h.pc_id = a.pc_id`);
    if (f.status === 'offline') where.push(sql`(h.at is null or h.at < ${cutoff})`);
  }
  if (f.version !== undefined) where.push(sql`coalesce(h.agent_version, a.enrolled_version) = ${f.version}`);
  if (f.enrollment !== undefined) {
    joins.push(sql`left join agent_enrollment en on en.pc_id = a.pc_id`);
    where.push(sql`coalesce(en.status, 'approved') = ${f.enrollment}`);
  }
  if (f.group !== undefined) where.push(sql`exists (select 1 from json_each(a.groups) where value = ${f.group})`);
  if (f.q !== undefined) where.push(sql`(a.pc_id like ${`%${f.q}%`} or a.hostname like ${`%${f.q}%`})`);
  return sql<{
    n: number;
  }>`select count(*) as n from agents a ${sql.join(joins, sql` `)} where ${sql.join(where, sql` and `)}`;
};

type Held = { version: number; cutoff: string; total: number; at: number };
type Totals = { file: Promise<string>; held: Map<string, Held>; counting: Map<string, Promise<number>> };
const totalsOf = new WeakMap<Kysely<ReadModels>, Totals>();
const MAX_HELD = 256;

const stateOf = (db: Kysely<ReadModels>): Totals => {
  let totals = totalsOf.get(db);
  if (totals === undefined) {
    // The file behind the connection ('' in memory): a count thread needs a file to open.
    const file = sql<{ name: string; file: string }>`pragma database_list`
      .execute(db)
      .then(({ rows }) => rows.find((r) => r.name === 'main')?.file ?? '');
    totals = { file, held: new Map(), counting: new Map() };
    totalsOf.set(db, totals);
  }
  return totals;
};

// Counts `f` on the count thread (inline for a database in memory).
const count = async (db: Kysely<ReadModels>, f: TotalFilter, cutoff: string): Promise<number> => {
  const query = countQuery(f, cutoff);
  const file = await stateOf(db).file;
  if (file === '') return (await query.execute(db)).rows[0]?.n ?? 0;
  const compiled = query.compile(db);
  return countThreadOf(file).count(compiled.sql, compiled.parameters);
};

const heldCount = async (db: Kysely<ReadModels>, f: TotalFilter, cutoff: string): Promise<number> => {
  const timed = f.status !== undefined || f.version !== undefined;
  const second = timed ? cutoff : '';
  const key = JSON.stringify(f);
  const version = await agentsVersion(db);
  const totals = stateOf(db);
  const held = totals.held.get(key);
  if (held?.version === version && held.cutoff === second) return held.total;
  const fresh = () => {
    const id = `${key} ${version} ${second}`;
    let counting = totals.counting.get(id);
    if (counting === undefined) {
      counting = count(db, f, cutoff)
        .then((total) => {
          const now = totals.held.get(key);
          if (now === undefined || now.version < version || (now.version === version && now.cutoff < second)) {
            if (totals.held.size >= MAX_HELD) totals.held.clear();
            totals.held.set(key, { version, cutoff: second, total, at: Date.parse(cutoff) || 0 });
          }
          return total;
        })
        .finally(() => totals.counting.delete(id));
      totals.counting.set(id, counting);
    }
    return counting;
  };
  // Only time and heartbeats moved (the agents did not): the last count serves while the next is made.
  if (timed && held?.version === version && Date.parse(cutoff) - held.at <= TOTAL_TRAILS_MS) {
    fresh().catch(() => {});
    return held.total;
  }
  return fresh();
};

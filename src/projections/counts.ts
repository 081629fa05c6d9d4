import { type Kysely, sql } from 'kysely';
import { ONLINE_WINDOW_MS } from './agents/queries.ts';
import type { ReadModels } from './schema.ts';

/**
 * Agents by status, in one grouped query (for metrics): approved agents are `online` or `offline` by
 * their last heartbeat (as the API judges it), the others by their enrollment standing.
 */
export const agentsByStatus = async (db: Kysely<ReadModels>, now: Date): Promise<Record<string, number>> => {
  const cutoff = new Date(now.getTime() - ONLINE_WINDOW_MS).toISOString();
  const { rows } = await sql<{ status: string; n: number }>`
    select case coalesce(en.status, 'approved')
             when 'approved' then (case when h.at >= ${cutoff} then 'online' else 'offline' end)
             else en.status end as status,
           count(*) as n
    from agents a
    left join agent_enrollment en on en.pc_id = a.pc_id
    left join agent_heartbeats h on h.pc_id = a.pc_id
    group by 1`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
};

/** Execs by status (for metrics). */
export const executionsByStatus = async (db: Kysely<ReadModels>): Promise<Record<string, number>> => {
  const rows = await db
    .selectFrom('executions')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
};

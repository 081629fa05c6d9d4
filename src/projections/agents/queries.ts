import { type Kysely, sql } from 'kysely';
import type { ReadModels } from '../schema.ts';
import { agentTotal } from './totals.ts';

/** An agent counts as online when it has sent a heartbeat within this window (kanade's 2 minutes). */
export const ONLINE_WINDOW_MS = 120_000;

/** An agent as the API shows it. */
export type AgentView = {
  pc_id: string;
  hostname: string;
  os: string;
  arch: string;
  agent_version: string;
  groups: string[];
  enrolled_at: string;
  last_heartbeat: string | null;
  online: boolean;
  running: number;
  /** pending | approved | rejected | terminated: only approved agents are ever targeted. */
  enrollment: string;
  /** The approved key (null for agents that enrolled before keys existed). */
  public_key: string | null;
  /** A request waiting for approval (a new agent, or a known one with a new key). */
  pending_key: string | null;
  /** The enrollment token the last request presented. */
  enrollment_token: string | null;
};

/** Filters for listing agents; `now` decides who is online. */
export type AgentFilter = {
  now: Date;
  status?: 'online' | 'offline';
  enrollment?: 'pending' | 'approved' | 'rejected' | 'terminated';
  group?: string;
  /** Substring of the pc id or host name. */
  q?: string;
  version?: string;
  /** Only agents after this pc id (keyset paging: the last pc id of the page before). */
  after?: string;
  limit: number;
  offset: number;
};

const base = (db: Kysely<ReadModels>, cutoff: string) =>
  db
    .selectFrom('agents as a')
    .leftJoin('agent_heartbeats as h', 'h.pc_id', 'a.pc_id')
    .leftJoin('agent_enrollment as en', 'en.pc_id', 'a.pc_id')
    .select([
      'en.status as enrollment',
      'en.public_key',
      'en.pending_key',
      'en.requested_token',
      'a.pc_id',
      'a.hostname',
      'a.os',
      'a.arch',
      'a.groups',
      'a.enrolled_at',
      'a.enrolled_version',
      'h.agent_version',
      'h.at as last_heartbeat',
      'h.running',
      sql<number>`coalesce(h.at >= ${cutoff}, 0)`.as('online'),
    ]);

// Online is judged to the second, so a page and its total agree and a total can be kept for a second.
const cutoffOf = (now: Date): string =>
  new Date(Math.floor(now.getTime() / 1000) * 1000 - ONLINE_WINDOW_MS).toISOString();

// Every filter but `online` (which the page and the total apply each their own way).
const filtered = (query: ReturnType<typeof base>, f: AgentFilter, cutoff: string) => {
  let q = query;
  if (f.status === 'offline') q = q.where((eb) => eb.or([eb('h.at', 'is', null), eb('h.at', '<', cutoff)]));
  if (f.enrollment !== undefined) q = q.where(sql<string>`coalesce(en.status, 'approved')`, '=', f.enrollment);
  if (f.group !== undefined)
    q = q.where(sql<boolean>`exists (select 1 from json_each(a.groups) where value = ${f.group})`);
  if (f.q !== undefined)
    q = q.where((eb) => eb.or([eb('a.pc_id', 'like', `%${f.q}%`), eb('a.hostname', 'like', `%${f.q}%`)]));
  if (f.version !== undefined)
    q = q.where((eb) => eb.fn.coalesce('h.agent_version', 'a.enrolled_version'), '=', f.version);
  return q;
};

/**
 * Agents matching the filter, by pc id, with the total count before paging (the server filters, not
 * the page). The total is read from maintained counts where it can be (see `agentTotal`).
 */
export const listAgents = async (
  db: Kysely<ReadModels>,
  f: AgentFilter,
): Promise<{ agents: AgentView[]; total: number }> => {
  const cutoff = cutoffOf(f.now);
  const query = filtered(base(db, cutoff), f, cutoff);
  // The page walks agents in pc id order and stops at the page's end; with the heartbeat time
  // index SQLite would rather collect every online agent (25,000 of 50,000) and sort them. The unary
  // `+` keeps the index out of the page.
  const online = f.status === 'online' ? query.where(sql<string>`+h.at`, '>=', cutoff) : query;
  // After a pc id, the page starts in the pc id index where the last one ended instead of walking
  // (and skipping) every row before it as an offset does.
  const page = f.after === undefined ? online : online.where('a.pc_id', '>', f.after);
  const rows = await page.orderBy('a.pc_id').limit(f.limit).offset(f.offset).execute();
  const { now: _now, limit: _limit, offset: _offset, after: _after, ...filter } = f;
  return { agents: rows.map(toView), total: await agentTotal(db, filter, cutoff) };
};

/** One agent, or undefined. */
export const getAgent = async (db: Kysely<ReadModels>, pcId: string, now: Date): Promise<AgentView | undefined> => {
  const row = await base(db, cutoffOf(now)).where('a.pc_id', '=', pcId).executeTakeFirst();
  return row === undefined ? undefined : toView(row);
};

type Row = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;

const toView = (r: Row): AgentView => ({
  pc_id: r.pc_id,
  hostname: r.hostname,
  os: r.os,
  arch: r.arch,
  agent_version: r.agent_version ?? r.enrolled_version,
  groups: JSON.parse(r.groups) as string[],
  enrolled_at: r.enrolled_at,
  last_heartbeat: r.last_heartbeat,
  online: r.online === 1,
  running: r.running ?? 0,
  enrollment: r.enrollment ?? 'approved',
  public_key: r.public_key ?? null,
  pending_key: r.pending_key ?? null,
  enrollment_token: r.requested_token ?? null,
});

/** A group with how many agents (and how many online) are in it. */
export type GroupView = { group: string; agents: number; online: number };

/** Every group agents are in, with how many agents (and how many online) each has, by name. */
export const listGroups = async (db: Kysely<ReadModels>, now: Date): Promise<GroupView[]> => {
  const cutoff = new Date(now.getTime() - ONLINE_WINDOW_MS).toISOString();
  const { rows } = await sql<GroupView>`
    select g.value as "group", count(*) as agents, sum(coalesce(h.at >= ${cutoff}, 0)) as online
    from agents a join json_each(a.groups) g
    left join agent_heartbeats h on h.pc_id = a.pc_id
    left join agent_enrollment en on en.pc_id = a.pc_id
    where coalesce(en.status, 'approved') = 'approved'
    group by g.value order by g.value`.execute(db);
  return rows;
};

/** An agent as target resolution sees it: approved (or enrolled before approvals), its groups, online or not. */
export type TargetableAgent = { pc_id: string; groups: string[]; online: boolean };

/** Every agent a target may name: pending, rejected and terminated agents are in no target. */
export const targetableAgents = async (db: Kysely<ReadModels>, now: Date): Promise<TargetableAgent[]> => {
  const cutoff = new Date(now.getTime() - ONLINE_WINDOW_MS).toISOString();
  const rows = await db
    .selectFrom('agents as a')
    .leftJoin('agent_heartbeats as h', 'h.pc_id', 'a.pc_id')
    .leftJoin('agent_enrollment as en', 'en.pc_id', 'a.pc_id')
    .select(['a.pc_id', 'a.groups', 'h.at'])
    .where((eb) => eb.or([eb('en.status', 'is', null), eb('en.status', '=', 'approved')]))
    .execute();
  return rows.map((r) => ({
    pc_id: r.pc_id,
    groups: JSON.parse(r.groups) as string[],
    online: r.at !== null && r.at >= cutoff,
  }));
};

import { del, put, type RowChange, type RowReader } from '../projection.ts';
import type { AgentEnrollmentTable, AgentsTable } from '../schema.ts';

/** The scope every listed agent counts in; its row's `seq` is the last agent event applied. */
export const ALL_AGENTS = 'all';

/** The count scope of a listing filter on enrollment standing and group (either may be absent). */
export const countScope = (f: { enrollment?: string; group?: string }): string => {
  const parts = [
    ...(f.group === undefined ? [] : [`group:${f.group}`]),
    ...(f.enrollment === undefined ? [] : [`enrollment:${f.enrollment}`]),
  ];
  return parts.length === 0 ? ALL_AGENTS : parts.join('|');
};

// The scopes one agent counts in: none without an agents row (the listing shows only those), and an
// agent without an enrollment row is approved (it enrolled before approvals), as the listing shows it.
const scopesOf = (agent: AgentsTable | undefined, enrollment: AgentEnrollmentTable | undefined): string[] => {
  if (agent === undefined) return [];
  const status = enrollment?.status ?? 'approved';
  const groups = [...new Set(JSON.parse(agent.groups) as string[])];
  return [
    ALL_AGENTS,
    countScope({ enrollment: status }),
    ...groups.flatMap((group) => [countScope({ group }), countScope({ group, enrollment: status })]),
  ];
};

// The rows of `pcId` in `table` after `changes` (the last put wins), else as they stand.
const lastPut = (changes: RowChange[], table: 'agents' | 'agent_enrollment', pcId: string) =>
  changes.findLast((c) => c.op === 'put' && c.table === table && c.row.pc_id === pcId);
const agentAfter = (changes: RowChange[], pcId: string, rows: RowReader): AgentsTable | undefined => {
  const last = lastPut(changes, 'agents', pcId);
  return last?.op === 'put' && last.table === 'agents' ? last.row : rows.get('agents', { pc_id: pcId });
};
const enrollmentAfter = (changes: RowChange[], pcId: string, rows: RowReader): AgentEnrollmentTable | undefined => {
  const last = lastPut(changes, 'agent_enrollment', pcId);
  return last?.op === 'put' && last.table === 'agent_enrollment'
    ? last.row
    : rows.get('agent_enrollment', { pc_id: pcId });
};

/**
 * The count rows an agent event's `changes` move, from the rows as they stood before them (`rows`).
 * The `all` row is written on every agent event, so its `seq` says when the agents last changed.
 */
export const countChanges = (changes: RowChange[], rows: RowReader, seq: number): RowChange[] => {
  const pcs = new Set<string>();
  for (const c of changes)
    if (c.op === 'put' && (c.table === 'agents' || c.table === 'agent_enrollment')) pcs.add(c.row.pc_id);
  const delta = new Map<string, number>([[ALL_AGENTS, 0]]);
  for (const pc of pcs) {
    for (const s of scopesOf(rows.get('agents', { pc_id: pc }), rows.get('agent_enrollment', { pc_id: pc })))
      delta.set(s, (delta.get(s) ?? 0) - 1);
    for (const s of scopesOf(agentAfter(changes, pc, rows), enrollmentAfter(changes, pc, rows)))
      delta.set(s, (delta.get(s) ?? 0) + 1);
  }
  const out: RowChange[] = [];
  for (const [scope, d] of delta) {
    if (d === 0 && scope !== ALL_AGENTS) continue;
    const agents = (rows.get('agent_counts', { scope })?.agents ?? 0) + d;
    out.push(
      agents === 0 && scope !== ALL_AGENTS
        ? del('agent_counts', { scope })
        : put('agent_counts', { scope, agents, seq }),
    );
  }
  return out;
};

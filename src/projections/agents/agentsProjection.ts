import type { AgentEvent } from '../../domain/agents/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { type Projection, put, type RowChange, type RowReader } from '../projection.ts';
import type { AgentEnrollmentTable, AgentsTable } from '../schema.ts';
import { countChanges } from './agentCounts.ts';

/**
 * Agents (facts and groups), where each stands with enrollment, the keys revoked at the broker, and
 * how many agents each listing scope holds (`agent_counts`).
 */
export const agentsProjection: Projection = {
  name: 'agents',
  version: 3,
  apply: (event, rows) => {
    if (!event.stream.startsWith('agent-')) return [];
    const changes = applyAgentEvent(event, rows);
    return [...changes, ...countChanges(changes, rows, event.seq)];
  },
};

type Agent = RecordedEvent & AgentEvent;

const applyAgentEvent = (event: RecordedEvent, rows: RowReader): RowChange[] => {
  const e = event as Agent;
  switch (e.type) {
    case 'AgentEnrolled':
      return [
        put('agents', {
          pc_id: e.data.pc_id,
          hostname: e.data.hostname,
          os: e.data.os,
          arch: e.data.arch,
          enrolled_version: e.data.agent_version,
          groups: JSON.stringify(e.data.groups),
          enrolled_at: event.at,
          groups_set_at: null,
          groups_set_by: null,
          seq: event.seq,
        }),
        enrollment(event, e.data.pc_id, rows, { status: 'approved', requested_at: event.at, ...decided(event) }),
      ];
    case 'AgentEnrollmentRequested':
      return requested(event, e, rows);
    case 'AgentApproved':
      return [
        ...agentChange(rows, e.data.pc_id, { groups: JSON.stringify(e.data.groups), seq: event.seq }),
        enrollment(event, e.data.pc_id, rows, {
          status: 'approved',
          public_key: e.data.public_key,
          pending_key: null,
          reason: null,
          ...decided(event),
        }),
        ...revoked(event, e.data.pc_id, e.data.replaced_key, 'replaced'),
      ];
    case 'AgentRejected': {
      const current = rows.get('agent_enrollment', { pc_id: e.data.pc_id });
      return [
        enrollment(event, e.data.pc_id, rows, {
          status: current?.status === 'approved' ? 'approved' : 'rejected',
          pending_key: null,
          reason: e.data.reason ?? null,
          ...decided(event),
        }),
      ];
    }
    case 'AgentTerminated':
      return [
        enrollment(event, e.data.pc_id, rows, {
          status: 'terminated',
          pending_key: null,
          reason: e.data.reason ?? null,
          ...decided(event),
        }),
        ...revoked(event, e.data.pc_id, e.data.public_key, 'terminated'),
      ];
    case 'AgentGroupsSet':
      return agentChange(rows, e.data.pc_id, {
        groups: JSON.stringify(e.data.groups),
        groups_set_at: event.at,
        groups_set_by: event.actor,
        seq: event.seq,
      });
    default:
      return [];
  }
};

// A first request creates the agent (with the groups it asked for). A request with a new key for an
// approved agent changes nothing it shows until an operator approves it: an impostor cannot rewrite
// what the fleet says about a machine by asking.
const requested = (event: RecordedEvent, e: Extract<Agent, { type: 'AgentEnrollmentRequested' }>, rows: RowReader) => {
  const row = rows.get('agents', { pc_id: e.data.pc_id });
  const current = rows.get('agent_enrollment', { pc_id: e.data.pc_id });
  const pending = enrollment(event, e.data.pc_id, rows, {
    status: current?.status === 'approved' ? 'approved' : 'pending',
    pending_key: e.data.public_key,
    requested_at: event.at,
    requested_token: e.data.token_name,
  });
  if (current?.status === 'approved') return [pending];
  return [
    put('agents', {
      pc_id: e.data.pc_id,
      hostname: e.data.hostname,
      os: e.data.os,
      arch: e.data.arch,
      enrolled_version: e.data.agent_version,
      groups: row?.groups ?? JSON.stringify(e.data.groups),
      enrolled_at: row?.enrolled_at ?? event.at,
      groups_set_at: row?.groups_set_at ?? null,
      groups_set_by: row?.groups_set_by ?? null,
      seq: event.seq,
    }),
    pending,
  ];
};

const decided = (event: RecordedEvent) => ({ decided_at: event.at, decided_by: event.actor });

const enrollment = (
  event: RecordedEvent,
  pcId: string,
  rows: RowReader,
  change: Partial<AgentEnrollmentTable>,
): RowChange => {
  const current = rows.get('agent_enrollment', { pc_id: pcId });
  return put('agent_enrollment', {
    pc_id: pcId,
    status: current?.status ?? 'pending',
    public_key: current?.public_key ?? null,
    pending_key: current?.pending_key ?? null,
    requested_at: current?.requested_at ?? null,
    requested_token: current?.requested_token ?? null,
    decided_at: current?.decided_at ?? null,
    decided_by: current?.decided_by ?? null,
    reason: current?.reason ?? null,
    ...change,
    seq: event.seq,
  });
};

const revoked = (event: RecordedEvent, pcId: string, key: string | undefined, reason: 'replaced' | 'terminated') =>
  key === undefined
    ? []
    : [put('revoked_agent_keys', { public_key: key, pc_id: pcId, revoked_at: event.at, reason, seq: event.seq })];

const agentChange = (rows: RowReader, pcId: string, change: Partial<AgentsTable>): RowChange[] => {
  const row = rows.get('agents', { pc_id: pcId });
  return row === undefined ? [] : [put('agents', { ...row, ...change })];
};

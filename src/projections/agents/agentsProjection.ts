import type { AgentEvent } from '../../domain/agents/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { type Projection, put, type RowChange, type RowReader } from '../projection.ts';

/** Enrolled agents and their groups. */
export const agentsProjection: Projection = {
  name: 'agents',
  version: 1,
  apply: (event, rows) => (event.stream.startsWith('agent-') ? applyAgentEvent(event, rows) : []),
};

const applyAgentEvent = (event: RecordedEvent, rows: RowReader): RowChange[] => {
  const e = event as unknown as RecordedEvent & AgentEvent;
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
      ];
    case 'AgentGroupsSet': {
      const row = rows.get('agents', { pc_id: e.data.pc_id });
      if (row === undefined) return [];
      return [
        put('agents', {
          ...row,
          groups: JSON.stringify(e.data.groups),
          groups_set_at: event.at,
          groups_set_by: event.actor,
          seq: event.seq,
        }),
      ];
    }
    default:
      return [];
  }
};

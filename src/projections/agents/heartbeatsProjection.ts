import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { decodeToken } from '../../infra/eventStore/index.ts';
import { HEARTBEATS_PREFIX } from '../../infra/nats/subjects.ts';
import { type Projection, put } from '../projection.ts';

/** Turns a heartbeat message into a `Heartbeat` event for the heartbeats projection (tolerant reader). */
export const decodeHeartbeat = (m: { subject: string; seq: number; string(): string }): RecordedEvent[] => {
  const pcId = decodeToken(m.subject.slice(HEARTBEATS_PREFIX.length + 1));
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(m.string()) as Record<string, unknown>;
  } catch {
    return [];
  }
  return [
    {
      type: 'Heartbeat',
      schema: 1,
      data: { ...data, pc_id: pcId },
      seq: m.seq,
      index: 0,
      stream: `heartbeat-${pcId}`,
      commitId: '',
      actor: `agent:${pcId}`,
      at: String(data.at ?? ''),
    },
  ];
};

const text = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);

/** The last heartbeat of every agent. Fed from KANADE_HEARTBEATS by its own runner. */
export const heartbeatsProjection: Projection = {
  name: 'agent_heartbeats',
  version: 1,
  apply: (event) =>
    event.type !== 'Heartbeat'
      ? []
      : [
          put('agent_heartbeats', {
            pc_id: text(event.data.pc_id),
            at: text(event.data.at),
            agent_version: text(event.data.agent_version),
            hostname: text(event.data.hostname),
            os: text(event.data.os),
            running: typeof event.data.running === 'number' ? event.data.running : 0,
            seq: event.seq,
          }),
        ],
};

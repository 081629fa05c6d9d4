import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { decodeToken } from '../../infra/eventStore/index.ts';
import { HEARTBEATS_PREFIX } from '../../infra/nats/subjects.ts';
import { type Projection, put } from '../projection.ts';
import type { StreamMessage } from '../runner.ts';

/**
 * Turns a heartbeat message into a `Heartbeat` event (tolerant reader). Liveness uses the time the
 * broker stored it, not the agent's clock, so a skewed clock cannot make an agent look offline.
 */
export const decodeHeartbeat = (m: StreamMessage): RecordedEvent[] => {
  // Anything that is not a heartbeat of the PC its subject names is dropped (a subject of more
  // tokens, a token that does not decode, a body that is not a heartbeat — a JetStream
  // acknowledgement someone aimed at this subject, say): heartbeats never stop the runner.
  const token = m.subject.slice(HEARTBEATS_PREFIX.length + 1);
  let pcId: string;
  let data: Record<string, unknown>;
  try {
    if (token.includes('.')) return [];
    pcId = decodeToken(token);
    data = JSON.parse(m.string()) as Record<string, unknown>;
  } catch {
    return [];
  }
  if (data === null || typeof data !== 'object' || typeof data.at !== 'string') return [];
  if (data.pc_id !== undefined && data.pc_id !== pcId) return [];
  const received = m.timestamp === undefined ? String(data.at ?? '') : new Date(m.timestamp).toISOString();
  return [
    {
      type: 'Heartbeat',
      schema: 1,
      data: { ...data, pc_id: pcId, received_at: received },
      seq: m.seq,
      index: 0,
      stream: `heartbeat-${pcId}`,
      commitId: '',
      actor: `agent:${pcId}`,
      at: received,
    },
  ];
};

// What an agent says it runs with: an object of a few settings; anything else (or larger) is not kept.
const MAX_CONFIG_CHARS = 4_096;
const reportedConfig = (v: unknown): string | null => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const json = JSON.stringify(v);
  return json.length > MAX_CONFIG_CHARS ? null : json;
};

const text = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);

/** The last heartbeat of every agent. Fed from KANADE_HEARTBEATS by its own runner. */
export const heartbeatsProjection: Projection = {
  name: 'agent_heartbeats',
  version: 2,
  apply: (event) =>
    event.type !== 'Heartbeat'
      ? []
      : [
          put('agent_heartbeats', {
            pc_id: text(event.data.pc_id),
            at: text(event.data.received_at),
            sent_at: text(event.data.at),
            agent_version: text(event.data.agent_version),
            hostname: text(event.data.hostname),
            os: text(event.data.os),
            running: typeof event.data.running === 'number' ? event.data.running : 0,
            config: reportedConfig(event.data.config),
            seq: event.seq,
          }),
        ],
};

import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { pingSubject, pongPrefix } from './subjects.ts';

/**
 * Pings an agent and waits for its answer (a fresh heartbeat). The answer goes to the agent's own
 * pong subject (which its credential may publish), not to an inbox: agents have no right to reply to
 * arbitrary reply subjects. Resolves undefined when it does not answer in time.
 */
export const pingAgent = async (nc: NatsConnection, pcId: string, timeoutMs: number): Promise<unknown> => {
  const reply = `${pongPrefix(pcId)}.${randomBytes(12).toString('hex')}`;
  const sub = nc.subscribe(reply, { max: 1, timeout: timeoutMs });
  await nc.flush();
  nc.publish(pingSubject(pcId), '', { reply });
  try {
    for await (const m of sub) return m.json();
  } catch {
    return undefined; // the subscription timed out
  }
  return undefined;
};

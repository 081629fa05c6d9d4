import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { agentStreamName } from '../src/domain/agents/index.ts';
import { jobStreamName } from '../src/domain/jobs/index.ts';
import { encodeCommit, subjectOf } from '../src/infra/eventStore/index.ts';
import { heartbeatSubject } from '../src/infra/nats/subjects.ts';

/** Groups the synthetic agents are spread over (one each). */
export const GROUPS = ['canary', 'wave1', 'wave2', 'lab', 'kiosk'];
// Acks in flight while recording: enough to keep the broker busy, not so many that the client queues grow.
const WINDOW = 512;

/** pc id of synthetic agent n. */
export const pcOf = (n: number): string => `pc-${String(n).padStart(6, '0')}`;

// Publishes commits with at most WINDOW acks outstanding (no expected sequence: each subject is new).
const pipelined = async (js: JetStreamClient, total: number, commitOf: (n: number) => [string, string]) => {
  const inFlight = new Set<Promise<unknown>>();
  for (let n = 0; n < total; n++) {
    const [subject, body] = commitOf(n);
    const p = js.publish(subject, body).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= WINDOW) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
};

/**
 * Records `agents` approved agents straight into the event log (one AgentEnrolled commit each: the
 * enrollment flow is not what is measured) and a heartbeat for every other one.
 */
export const enrollSyntheticAgents = async (nc: NatsConnection, js: JetStreamClient, agents: number, at: string) => {
  await pipelined(js, agents, (n) => {
    const pc_id = pcOf(n);
    const groups = [GROUPS[n % GROUPS.length] as string];
    const data = { pc_id, hostname: `host-${n}`, os: 'linux', arch: 'x64', agent_version: '0.1.0', groups };
    const commit = { id: `enroll-${pc_id}`, actor: `agent:${pc_id}`, at, via: 'agent' };
    return [subjectOf(agentStreamName(pc_id)), encodeCommit(commit, [{ type: 'AgentEnrolled', data }])];
  });
  for (let n = 0; n < agents; n += 2) publishHeartbeat(nc, n, at);
  await nc.flush();
};

/** A heartbeat of synthetic agent n, as its agent would send it. */
export const publishHeartbeat = (nc: NatsConnection, n: number, at: string): void => {
  const pc_id = pcOf(n);
  const groups = [GROUPS[n % GROUPS.length] as string];
  const hb = { pc_id, hostname: `host-${n}`, os: 'linux', arch: 'x64', agent_version: '0.1.0', at, groups, running: 0 };
  nc.publish(heartbeatSubject(pc_id), JSON.stringify(hb));
};

/** Gives job `jobId` (registered, at version `version`) a history of `events` revoke/unrevoke commits. */
export const growJobHistory = async (js: JetStreamClient, jobId: string, version: string, events: number) => {
  const subject = subjectOf(jobStreamName(jobId));
  await pipelined(js, events, (n) => {
    const commit = { id: `hist-${jobId}-${n}`, actor: 'bench', at: new Date().toISOString(), via: 'bench' };
    const type = n % 2 === 0 ? 'JobRevoked' : 'JobUnrevoked';
    return [subject, encodeCommit(commit, [{ type, data: { job_id: jobId, version } }])];
  });
};

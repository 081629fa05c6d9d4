import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { agentStreamName } from '../src/domain/agents/index.ts';
import { jetStreamEventStore } from '../src/infra/eventStore/index.ts';
import { heartbeatSubject } from '../src/infra/nats/subjects.ts';
import { startBenchSandbox } from './sandbox.ts';

const GROUPS = ['canary', 'wave1', 'wave2', 'lab', 'kiosk'];

/**
 * Records `count` approved agents (`pc-000000`…, one event each: the enrollment flow is not what these
 * benchmarks measure), the even ones heartbeating, and returns the event log's head afterwards.
 */
export const enrollAgents = async (nc: NatsConnection, count: number): Promise<number> => {
  const jsm = await jetstreamManager(nc);
  const store = jetStreamEventStore(jetstream(nc), jsm);
  const at = new Date().toISOString();
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) => {
        const n = i + k;
        const pc_id = `pc-${String(n).padStart(6, '0')}`;
        const groups = [GROUPS[n % GROUPS.length] as string];
        const facts = { pc_id, hostname: `host-${n}`, os: 'linux', arch: 'x64', agent_version: '0.1.0' };
        if (n % 2 === 0) nc.publish(heartbeatSubject(pc_id), JSON.stringify({ ...facts, at, groups, running: 0 }));
        return store.appendToStream(agentStreamName(pc_id), [{ type: 'AgentEnrolled', data: { ...facts, groups } }], {
          commit: { id: `enroll-${pc_id}`, actor: `agent:${pc_id}`, at, via: 'agent' },
        });
      }),
    );
  }
  return (await jsm.streams.info('KANADE_EVENTS')).state.last_seq;
};

/**
 * A bench sandbox with the server in this process (the benchmark reads its read models) and
 * `count` agents enrolled and projected; stops the sandbox when the set-up fails.
 */
export const startEnrolledSandbox = async (name: string, count: number, waitMs: number) => {
  const sandbox = await startBenchSandbox(name);
  const { readModels } = sandbox.server;
  if (readModels === undefined) throw new Error("this benchmark reads the server's read models: it runs in process");
  const nc = await sandbox.connect();
  try {
    const started = performance.now();
    const head = await enrollAgents(nc, count);
    await readModels.waitFor(head, waitMs);
    console.log(
      `setup: ${count} agents enrolled and projected in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return { ...sandbox, nc, readModels };
  } catch (error) {
    await nc.drain();
    await sandbox.stop();
    throw error;
  }
};

import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type RunningAgent, startAgent } from '../agent/agent.ts';
import { runProcess } from '../agent/processRunner.ts';
import { openTrust } from '../agent/trust.ts';
import { agentStreamName } from '../domain/agents/index.ts';
import { jetStreamEventStore } from '../infra/eventStore/index.ts';
import { silentLogger } from '../infra/log.ts';
import { bindViews } from '../infra/nats/fleet.ts';
import { loadOrCreateSigningKey } from '../server/signing.ts';
import { testSigningKey } from './server.ts';

/** Many real agents in this process, several per connection, with a count of what each ran. */
export type InProcessAgents = {
  agents: RunningAgent[];
  /** How many times each pc started the script of an exec: `runs(exec)` → pc → count. */
  runs(execId: string): Map<string, number>;
  stop(): Promise<void>;
};

/**
 * Starts `count` agents the way the fleet benchmark does (bench/fleet.ts): recorded as enrolled
 * straight in the event log, trusting the test servers' signing key, `perConnection` agents sharing
 * one NATS connection (with the server's credential). Everything else is the real agent: intake,
 * gates, dedup journal, outbox, and real `sh` processes; the executor only counts before it runs.
 */
export const startInProcessAgents = async (o: {
  count: number;
  perConnection: number;
  dir: string;
  brokerDir: string;
  connect(): Promise<NatsConnection>;
  groupOf(index: number): string;
  pcOf(index: number): string;
}): Promise<InProcessAgents> => {
  const signingKey = loadOrCreateSigningKey(testSigningKey(o)).key.getPublicKey();
  const counts = new Map<string, Map<string, number>>();
  const connections: NatsConnection[] = [];
  const agents: RunningAgent[] = [];
  for (let i = 0; i < o.count; i++) {
    if (i % o.perConnection === 0) connections.push(await o.connect());
    const nc = connections.at(-1) as NatsConnection;
    const pc = o.pcOf(i);
    const groups = [o.groupOf(i)];
    const facts = { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'test' };
    const store = jetStreamEventStore(jetstream(nc), await jetstreamManager(nc));
    await store.appendToStream(agentStreamName(pc), [{ type: 'AgentEnrolled', data: { ...facts, groups } }], {
      commit: { id: `enroll:${pc}`, actor: `agent:${pc}`, at: new Date().toISOString(), via: 'agent' },
    });
    const trust = openTrust(join(o.dir, pc));
    trust.pin([signingKey], false);
    agents.push(
      await startAgent({
        facts,
        initialGroups: groups,
        dataDir: join(o.dir, pc),
        nc,
        trust,
        log: silentLogger,
        shells: ['sh'],
        heartbeatIntervalMs: 10_000, // online for two minutes after one: fewer writes on a loaded machine
        views: bindViews(nc),
        executor: (command, signal, onSpawn, exitFile) => {
          const perPc = counts.get(command.exec_id) ?? new Map<string, number>();
          counts.set(command.exec_id, perPc);
          perPc.set(pc, (perPc.get(pc) ?? 0) + 1);
          return runProcess(command, signal, onSpawn, exitFile);
        },
      }),
    );
  }
  return {
    agents,
    runs: (execId) => new Map(counts.get(execId) ?? []),
    stop: async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await Promise.all(connections.map((c) => c.drain().catch(() => {})));
    },
  };
};

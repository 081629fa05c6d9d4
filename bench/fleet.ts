import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type RunningAgent, startAgent } from '../src/agent/agent.ts';
import type { Executor } from '../src/agent/processRunner.ts';
import { openTrust } from '../src/agent/trust.ts';
import { agentStreamName } from '../src/domain/agents/index.ts';
import { jetStreamEventStore } from '../src/infra/eventStore/index.ts';
import { silentLogger } from '../src/infra/log.ts';
import { bindViews } from '../src/infra/nats/fleet.ts';
import { startBenchSandbox } from './sandbox.ts';

// Returns at once: the benchmark measures kanade, not the scripts.
const instant: Executor = async () => ({ exitCode: 0, timedOut: false, killed: false, stdout: 'ok\n', stderr: '' });

const AGENTS_PER_CONNECTION = 100;

/**
 * `npm run bench -- fleet --agents 1000`: agents emulated in one process (the real intake, gates,
 * dedup journal and on-disk outbox; an executor that returns at once) against a real nats-server and
 * server. Prints the time from POST /api/exec to every result being queryable.
 */
export const fleetBench = async (options: { agents: number }): Promise<void> => {
  const { dir, api, stop, connect, signingKey } = await startBenchSandbox('fleet');
  const connections: NatsConnection[] = [];
  const agents: RunningAgent[] = [];
  try {
    await api('POST', '/api/jobs', {
      id: 'bench',
      version: '1',
      execute: { shell: 'sh', script: 'echo ok', timeout: '30s' },
    });
    const setupStarted = performance.now();
    for (let i = 0; i < options.agents; i++) {
      if (i % AGENTS_PER_CONNECTION === 0) connections.push(await connect({ maxReconnectAttempts: -1 }));
      const nc = connections.at(-1) as NatsConnection;
      const pc = `bench-pc-${String(i + 1).padStart(5, '0')}`;
      const views = bindViews(nc);
      const trust = openTrust(join(dir, 'agents', pc));
      trust.pin([signingKey], false);
      // Approved agents, recorded the short way (the enrollment flow is not what this measures).
      const store = jetStreamEventStore(jetstream(nc), await jetstreamManager(nc));
      await store.appendToStream(
        agentStreamName(pc),
        [
          {
            type: 'AgentEnrolled',
            data: { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'bench', groups: ['bench'] },
          },
        ],
        { commit: { id: `enroll:${pc}`, actor: `agent:${pc}`, at: new Date().toISOString(), via: 'agent' } },
      );
      agents.push(
        await startAgent({
          facts: { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'bench' },
          initialGroups: ['bench'],
          dataDir: join(dir, 'agents', pc),
          nc,
          trust,
          log: silentLogger,
          shells: ['sh'],
          executor: instant,
          views,
        }),
      );
    }
    for (;;) {
      const { total } = await api<{ total: number }>('GET', '/api/agents?status=online&limit=1');
      if (total >= options.agents) break;
      await sleep(250);
    }
    console.log(
      `${options.agents} agents enrolled and online in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s (setup, not measured)`,
    );
    const t0 = performance.now();
    const { exec_id, target_count } = await api<{ exec_id: string; target_count: number }>('POST', '/api/exec/bench', {
      target: { all: true },
    });
    let firstResultMs: number | undefined;
    for (;;) {
      const e = await api<{ succeeded: number; failed: number; skipped: number }>('GET', `/api/executions/${exec_id}`);
      const done = e.succeeded + e.failed + e.skipped;
      if (done > 0 && firstResultMs === undefined) firstResultMs = performance.now() - t0;
      if (done >= target_count) break;
      await sleep(20);
    }
    const { results } = await api<{ results: unknown[] }>('GET', `/api/results?exec_id=${exec_id}&limit=1000`);
    const totalMs = performance.now() - t0;
    if (results.length !== Math.min(target_count, 1000))
      throw new Error(`expected ${target_count} results, got ${results.length}`);
    const rss = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      `exec to ${target_count} agents: all results queryable after ${(totalMs / 1000).toFixed(2)} s (first result after ${((firstResultMs ?? 0) / 1000).toFixed(2)} s); peak RSS of the process (server + agents) ${rss} MiB`,
    );
    console.log(
      JSON.stringify({
        agents: options.agents,
        target_count,
        all_results_ms: Math.round(totalMs),
        first_result_ms: Math.round(firstResultMs ?? 0),
        peak_rss_mib: rss,
      }),
    );
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all(connections.map((c) => c.drain().catch(() => {})));
    await stop();
  }
};

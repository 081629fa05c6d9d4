import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type RunningAgent, startAgent } from '../src/agent/agent.ts';
import type { Executor } from '../src/agent/processRunner.ts';
import { openTrust } from '../src/agent/trust.ts';
import { agentStreamName } from '../src/domain/agents/index.ts';
import { encodeCommit } from '../src/infra/eventStore/index.ts';
import { subjectOf } from '../src/infra/eventStore/subjects.ts';
import { silentLogger } from '../src/infra/log.ts';
import { bindViews } from '../src/infra/nats/fleet.ts';
import { startBenchSandbox } from './sandbox.ts';

// Returns at once: the benchmark measures kanade, not the scripts.
const instant: Executor = async () => ({ exitCode: 0, timedOut: false, killed: false, stdout: 'ok\n', stderr: '' });

const AGENTS_PER_CONNECTION = 250;
const WINDOW = 500;
const FLOOR_STREAM = 'BENCH_FLOOR';

const inWindows = async (count: number, work: (i: number) => Promise<unknown>) => {
  for (let from = 0; from < count; from += WINDOW)
    await Promise.all(Array.from({ length: Math.min(WINDOW, count - from) }, (_, k) => work(from + k)));
};

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/**
 * `npm run bench -- fleet --agents N [--disk]`: N agents emulated in one process — the real intake,
 * signature check, gates, dedup journal and on-disk outbox, many agents per connection, an executor
 * that returns at once — against a real nats-server and server, data on tmpfs (`--disk`: the system
 * temp dir). Prints kanade's time from POST /api/exec to every result queryable and, in the same run
 * over the same connections, the floor: one broadcast message to N subscribers, each answering with
 * a JetStream-persisted publish, until every ack is back.
 */
export const fleetBench = async (options: { agents: number; disk: boolean }): Promise<void> => {
  const n = options.agents;
  const { dir, api, stop, connect, signingKey } = await startBenchSandbox('fleet', {
    serverProcess: true,
    ...(options.disk ? {} : { baseDir: '/dev/shm' }),
  });
  console.log(`load: ${n} agents, ${AGENTS_PER_CONNECTION} per connection, data on ${options.disk ? 'disk' : 'tmpfs'}`);
  const connections: NatsConnection[] = [];
  const agents: RunningAgent[] = [];
  try {
    await api('POST', '/api/jobs', {
      id: 'bench',
      version: '1',
      execute: { shell: 'sh', script: 'echo ok', timeout: '30s' },
    });
    const setupStarted = performance.now();
    for (let i = 0; i < Math.ceil(n / AGENTS_PER_CONNECTION); i++)
      connections.push(await connect({ maxReconnectAttempts: -1 }));
    const pcOf = (i: number) => `bench-pc-${String(i + 1).padStart(5, '0')}`;
    const connectionOf = (i: number) => connections[Math.floor(i / AGENTS_PER_CONNECTION)] as NatsConnection;
    // Approved agents, recorded the short way (the enrollment flow is not what this measures).
    const js = jetstream(connections[0] as NatsConnection);
    const at = new Date().toISOString();
    await inWindows(n, (i) => {
      const pc = pcOf(i);
      const facts = { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'bench' };
      const commit = { id: `enroll:${pc}`, actor: `agent:${pc}`, at, via: 'agent' };
      return js.publish(
        subjectOf(agentStreamName(pc)),
        encodeCommit(commit, [{ type: 'AgentEnrolled', data: { ...facts, groups: ['bench'] } }]),
      );
    });
    const views = connections.map((nc) => bindViews(nc));
    await inWindows(n, async (i) => {
      const pc = pcOf(i);
      const dataDir = join(dir, 'agents', pc);
      mkdirSync(dataDir, { recursive: true });
      const trust = openTrust(dataDir);
      trust.pin([signingKey], false);
      agents.push(
        await startAgent({
          facts: { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'bench' },
          initialGroups: ['bench'],
          dataDir,
          nc: connectionOf(i),
          trust,
          log: silentLogger,
          shells: ['sh'],
          executor: instant,
          views: views[Math.floor(i / AGENTS_PER_CONNECTION)] as (typeof views)[number],
        }),
      );
    });
    for (;;) {
      const { total } = await api<{ total: number }>('GET', '/api/agents?status=online&limit=1');
      if (total >= n) break;
      await sleep(250);
    }
    await viewsCaughtUp(connections[0] as NatsConnection);
    console.log(
      `${n} agents enrolled, online and in the views in ${seconds(performance.now() - setupStarted)} s (setup, not measured)`,
    );

    const t0 = performance.now();
    const { exec_id, target_count } = await api<{ exec_id: string; target_count: number }>('POST', '/api/exec/bench', {
      target: { all: true },
    });
    const acceptedMs = performance.now() - t0;
    let firstResultMs: number | undefined;
    for (;;) {
      const e = await api<{ succeeded: number; failed: number; skipped: number }>(
        'GET',
        `/api/executions/${exec_id}?results_limit=1`,
      );
      const done = e.succeeded + e.failed + e.skipped;
      if (done > 0 && firstResultMs === undefined) firstResultMs = performance.now() - t0;
      if (done >= target_count) break;
      await sleep(20);
    }
    const kanadeMs = performance.now() - t0;
    const timeline = await api<{ requested_at: string; dispatched_at: string | null }>(
      'GET',
      `/api/executions/${exec_id}?results_limit=1`,
    );
    const dispatchMs = Date.parse(timeline.dispatched_at ?? timeline.requested_at) - Date.parse(timeline.requested_at);
    const { results } = await api<{ results: { outcome: string }[] }>(
      'GET',
      `/api/results?exec_id=${exec_id}&limit=1000`,
    );
    if (results.length !== Math.min(target_count, 1000) || results.some((r) => r.outcome !== 'succeeded'))
      throw new Error(`expected ${target_count} successful results, got ${results.length}`);
    const floorMs = await floor(connections, n);
    const rss = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      `kanade: exec to ${target_count} agents accepted in ${seconds(acceptedMs)} s, dispatched ${seconds(dispatchMs)} s after the request, first result ${seconds(firstResultMs ?? 0)} s, all results queryable ${seconds(kanadeMs)} s`,
    );
    console.log(`floor: broadcast to ${n} subscribers and ${n} JetStream-persisted answers: ${seconds(floorMs)} s`);
    console.log(
      `ratio to the floor: ${(kanadeMs / floorMs).toFixed(2)}×; peak RSS of this process (server + agents) ${rss} MiB`,
    );
    console.log(
      JSON.stringify({
        agents: n,
        target_count,
        kanade_ms: Math.round(kanadeMs),
        floor_ms: Math.round(floorMs),
        ratio_to_floor: Number((kanadeMs / floorMs).toFixed(2)),
        accepted_ms: Math.round(acceptedMs),
        dispatch_ms: dispatchMs,
        first_result_ms: Math.round(firstResultMs ?? 0),
        setup_ms: Math.round(t0 - setupStarted),
        peak_rss_mib: rss,
        storage: options.disk ? 'disk' : 'tmpfs',
      }),
    );
  } finally {
    await inWindows(agents.length, (i) => (agents[i] as RunningAgent).stop());
    await Promise.all(connections.map((c) => c.drain().catch(() => {})));
    await stop();
  }
};

// The agents' KV views (their groups) are written before the exec, so it is dispatched at once.
const viewsCaughtUp = async (nc: NatsConnection) => {
  const head = (await (await jetstreamManager(nc)).streams.info('KANADE_EVENTS')).state.last_seq;
  const meta = await new Kvm(nc).open('kanade_views_meta');
  while (Number((await meta.get('checkpoint'))?.string() ?? 0) < head) await sleep(100);
};

// The same work at its rawest: one message out to N subscribers over the same connections, and each
// answering with a publish JetStream stores (file storage, like kanade's streams) and acknowledges.
const floor = async (connections: readonly NatsConnection[], n: number): Promise<number> => {
  const nc = connections[0] as NatsConnection;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: FLOOR_STREAM, subjects: ['bench.floor.result.>'] });
  let acked = 0;
  let allAcked: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allAcked = resolve;
  });
  const subscriptions = Array.from({ length: n }, (_, i) => {
    const conn = connections[Math.floor(i / AGENTS_PER_CONNECTION)] as NatsConnection;
    const js = jetstream(conn);
    return conn.subscribe('bench.floor.command', {
      callback: () => {
        void js.publish(`bench.floor.result.${i}`, '{"exit_code":0,"stdout":"ok\\n"}').then(() => {
          acked += 1;
          if (acked === n) allAcked();
        });
      },
    });
  });
  await Promise.all(connections.map((c) => c.flush()));
  const t0 = performance.now();
  nc.publish('bench.floor.command', '{}');
  await done;
  const ms = performance.now() - t0;
  for (const s of subscriptions) s.unsubscribe();
  await jsm.streams.delete(FLOOR_STREAM);
  return ms;
};

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { agentStreamName } from '../src/domain/agents/index.ts';
import { retryTransient } from '../src/infra/backoff.ts';
import { encodeCommit } from '../src/infra/eventStore/index.ts';
import { subjectOf } from '../src/infra/eventStore/subjects.ts';
import { isBrokerUnavailable } from '../src/infra/nats/errors.ts';
import { AGENTS_PER_CONNECTION, benchPc } from './fleetAgents.ts';
import { protocolFloor } from './protocolFloor.ts';
import { startBenchSandbox } from './sandbox.ts';
import { profileFlags } from './serverProcess.ts';

// Agents per emulator process: each agent holds three files open (its dedup journal, command journal
// and outbox), under the open-files limit (20,000 here).
const AGENTS_PER_PROCESS = 5_000;
const WINDOW = 500;
const FLOOR_STREAM = 'BENCH_FLOOR';

const inWindows = async (count: number, work: (i: number) => Promise<unknown>) => {
  for (let from = 0; from < count; from += WINDOW)
    await Promise.all(Array.from({ length: Math.min(WINDOW, count - from) }, (_, k) => work(from + k)));
};

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/**
 * `npm run bench -- fleet --agents N [--disk]`: N agents emulated in processes of 5,000 (fleetAgents.ts:
 * the real intake, signature check, gates, dedup journal and on-disk outbox, many agents per
 * connection, an executor that returns at once) against a real nats-server and a `kanade server`
 * process, data on tmpfs (`--disk`: the system
 * temp dir). Prints kanade's time from POST /api/exec to every result queryable and, in the same run
 * over the same connections, the floor: one broadcast message to N subscribers, each answering with
 * a JetStream-persisted publish, until every ack is back.
 */
export const fleetBench = async (options: { agents: number; disk: boolean }): Promise<void> => {
  const n = options.agents;
  // A rejection nobody awaited (a NATS request timing out under load, say) is said loudly, with its
  // stack, and counted in the result line, instead of ending the process before it reports.
  let unhandled = 0;
  const loudly = (error: unknown) => {
    unhandled++;
    console.error('!! unhandled rejection in the bench process:', error);
  };
  process.on('unhandledRejection', loudly);
  const sandbox = await startBenchSandbox('fleet', {
    serverProcess: true,
    ...(options.disk ? {} : { baseDir: '/dev/shm' }),
  });
  const { api, stop, connect } = sandbox;
  const processes = Math.ceil(n / AGENTS_PER_PROCESS);
  console.log(
    `load: ${n} agents in ${processes} process(es), ${AGENTS_PER_CONNECTION} per connection, data on ${options.disk ? 'disk' : 'tmpfs'}`,
  );
  const connections: NatsConnection[] = [];
  const children: ChildProcess[] = [];
  try {
    await api('POST', '/api/jobs', {
      id: 'bench',
      version: '1',
      execute: { shell: 'sh', script: 'echo ok', timeout: '30s' },
    });
    const setupStarted = performance.now();
    for (let i = 0; i < Math.ceil(n / AGENTS_PER_CONNECTION); i++)
      connections.push(await connect({ maxReconnectAttempts: -1 }));
    await enroll(connections[0] as NatsConnection, n);
    for (let from = 0; from < n; from += AGENTS_PER_PROCESS)
      children.push(startAgentsProcess(sandbox, from, Math.min(AGENTS_PER_PROCESS, n - from)));
    await Promise.all(children.map(ready));
    for (;;) {
      const { total } = await api<{ total: number }>('GET', '/api/agents?status=online&limit=1');
      if (total >= n) break;
      await sleep(250);
    }
    await viewsCaughtUp(connections[0] as NatsConnection);
    console.log(
      `${n} agents enrolled, online and in the views in ${seconds(performance.now() - setupStarted)} s (setup, not measured)`,
    );

    const pids = {
      'nats-server': sandbox.nats.process.pid ?? 0,
      'kanade server': sandbox.server.pid,
      agents: children.map((c) => c.pid ?? 0),
      bench: process.pid,
    };
    const cpuBefore = cpuOf(pids);
    const t0 = performance.now();
    const t0Wall = Date.now();
    const t0Mono = process.hrtime.bigint();
    const { exec_id, target_count } = await api<{ exec_id: string; target_count: number }>('POST', '/api/exec/bench', {
      target: { all: true },
    });
    const acceptedMs = performance.now() - t0;
    let firstResultMs: number | undefined;
    // The exec's counters, from the list (the detail carries every resolved PC: a megabyte at 50,000).
    for (;;) {
      const { executions } = await api<{ executions: { exec_id: string; done: number }[] }>(
        'GET',
        '/api/executions?job_id=bench&limit=1',
      );
      const done = executions.find((e) => e.exec_id === exec_id)?.done ?? 0;
      if (done > 0 && firstResultMs === undefined) firstResultMs = performance.now() - t0;
      if (done >= target_count) break;
      await sleep(20);
    }
    const kanadeMs = performance.now() - t0;
    const endMono = process.hrtime.bigint();
    const cpuAfter = cpuOf(pids);
    const timeline = await api<{
      requested_at: string;
      dispatched_at: string | null;
      succeeded: number;
      outcomes: Record<string, number>;
    }>('GET', `/api/executions/${exec_id}?results_limit=1`);
    const dispatchMs = Date.parse(timeline.dispatched_at ?? timeline.requested_at) - Date.parse(timeline.requested_at);
    // Every result is counted, whatever its outcome; anything but success is said, with a reason.
    if (timeline.succeeded !== target_count) {
      const sample = (status: string) =>
        api<{ results: { outcome: string; reason?: string }[] }>(
          'GET',
          `/api/results?exec_id=${exec_id}&status=${status}&limit=2`,
        );
      const results = [...(await sample('failure')).results, ...(await sample('skipped')).results];
      console.log(
        `!! not every run succeeded: ${JSON.stringify(timeline.outcomes)}; e.g. ${results.map((r) => `${r.outcome}: ${r.reason ?? ''}`).join(' | ')}`,
      );
    }
    const line = await brokerTimeline(connections[0] as NatsConnection, exec_id, t0Wall);
    console.log(`timeline (s after the POST; broker times): ${line.text}, all counted ${seconds(kanadeMs)}`);
    const cpu = Object.fromEntries(
      Object.entries(cpuAfter).map(([k, v]) => [k, Number((v - (cpuBefore[k] ?? 0)).toFixed(1))]),
    );
    console.log(`CPU seconds during the exec (${seconds(kanadeMs)} s of wall time): ${JSON.stringify(cpu)}`);
    if (process.env.KANADE_BENCH_PROFILE !== undefined)
      console.log(`profile window (monotonic µs): ${t0Mono / 1000n} … ${endMono / 1000n}`);
    const floorMs = await floor(connections, n);
    const protocolMs = await protocolFloor(
      connections,
      n,
      { natsUrl: sandbox.nats.url, credsFile: sandbox.serverCreds, dir: sandbox.dir },
      persist,
    );
    const rss = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      `kanade: exec to ${target_count} agents accepted in ${seconds(acceptedMs)} s, dispatched ${seconds(dispatchMs)} s after the request, first result ${seconds(firstResultMs ?? 0)} s, all results queryable ${seconds(kanadeMs)} s`,
    );
    console.log(`floor: broadcast to ${n} subscribers and ${n} JetStream-persisted answers: ${seconds(floorMs)} s`);
    console.log(
      `protocol floor: a signed command stored and delivered to ${n} subscribers, each checking its signature and storing a started and a finished message, all ${2 * n} committed to SQLite by a follower: ${seconds(protocolMs)} s (${(protocolMs / floorMs).toFixed(2)}× the floor)`,
    );
    console.log(
      `ratio to the floor: ${(kanadeMs / floorMs).toFixed(2)}×; to the protocol floor: ${(kanadeMs / protocolMs).toFixed(2)}×`,
    );
    console.log(
      JSON.stringify({
        agents: n,
        target_count,
        succeeded: timeline.succeeded,
        kanade_ms: Math.round(kanadeMs),
        floor_ms: Math.round(floorMs),
        ratio_to_floor: Number((kanadeMs / floorMs).toFixed(2)),
        protocol_floor_ms: Math.round(protocolMs),
        ratio_to_protocol_floor: Number((kanadeMs / protocolMs).toFixed(2)),
        accepted_ms: Math.round(acceptedMs),
        dispatch_ms: dispatchMs,
        first_result_ms: Math.round(firstResultMs ?? 0),
        setup_ms: Math.round(t0 - setupStarted),
        agent_processes: processes,
        bench_process_peak_rss_mib: rss,
        storage: options.disk ? 'disk' : 'tmpfs',
        unhandled_rejections: unhandled,
        cpu_s: cpu,
      }),
    );
  } finally {
    process.off('unhandledRejection', loudly);
    await Promise.all(children.map(stopChild));
    await Promise.all(connections.map((c) => c.drain().catch(() => {})));
    await stop();
  }
};

// CPU seconds (user + system) each process of the run has used so far, from /proc.
const cpuOf = (pids: Record<string, number | number[]>): Record<string, number> => {
  const tick = 100; // USER_HZ on Linux
  const of = (pid: number) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      return 0;
    }
  };
  return Object.fromEntries(
    Object.entries(pids).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).reduce((sum, pid) => sum + of(pid), 0)]),
  );
};

// When the broker stored each step of the exec: its request, its command, and the agents' run events.
const brokerTimeline = async (nc: NatsConnection, execId: string, t0Wall: number) => {
  const jsm = await jetstreamManager(nc);
  const at = (ms: number | undefined) => (ms === undefined ? '-' : seconds(ms - t0Wall));
  const execSubject = subjectOf(`exec-${execId}`);
  // Runs are counted from the exec's first commit: its last (ExecDispatched) can come after the first runs.
  const requested = await jsm.direct.getMessage('KANADE_EVENTS', { seq: 0, next_by_subj: execSubject });
  const recorded = await jsm.direct.getMessage('KANADE_EVENTS', { last_by_subj: execSubject });
  const command = await jsm.direct.getMessage('KANADE_COMMANDS', { last_by_subj: 'kanade.cmd.all.bench' });
  const consumer = await jetstream(nc).consumers.get('KANADE_EVENTS', { opt_start_seq: (requested?.seq ?? 0) + 1 });
  const runs = { started: [] as number[], finished: [] as number[] };
  const messages = await consumer.consume({ max_messages: 5000 });
  for await (const m of messages) {
    const ms = Number(m.info.timestampNanos) / 1e6;
    if (m.subject.startsWith('kanade.ev.run.'))
      (m.string().includes('"RunFinished"') ? runs.finished : runs.started).push(ms);
    if (m.info.pending === 0) break;
  }
  await messages.close();
  const span = (xs: number[]) => `${at(Math.min(...xs))}…${at(Math.max(...xs))} (${xs.length})`;
  return {
    text: `exec requested ${at(requested?.time.getTime())}, dispatched ${at(recorded?.time.getTime())} (last exec commit), command stored ${at(command?.time.getTime())}, RunStarted ${span(runs.started)}, RunFinished ${span(runs.finished)}`,
  };
};

// A publish JetStream acknowledges, tried again (same message id: stored once) while the broker is
// slow to answer: tens of thousands of publishes at once on a 2-core machine can wait longer than a
// request's timeout. Each retry is said on stderr; the last failure ends the bench with its error.
const persist = (js: JetStreamClient, subject: string, body: string, msgID: string) =>
  retryTransient(
    () => js.publish(subject, body, { msgID, timeout: 10_000 }),
    (error) => {
      const transient = isBrokerUnavailable(error);
      if (transient) console.error(`retrying a publish to ${subject}: ${String(error)}`);
      return transient;
    },
    { attempts: 5, minMs: 500, maxMs: 5_000 },
  );

// Approved agents, recorded the short way (the enrollment flow is not what this measures).
const enroll = async (nc: NatsConnection, n: number) => {
  const js = jetstream(nc);
  const at = new Date().toISOString();
  await inWindows(n, (i) => {
    const pc = benchPc(i);
    const facts = { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'bench' };
    const commit = { id: `enroll:${pc}`, actor: `agent:${pc}`, at, via: 'agent' };
    return persist(
      js,
      subjectOf(agentStreamName(pc)),
      encodeCommit(commit, [{ type: 'AgentEnrolled', data: { ...facts, groups: ['bench'] } }]),
      commit.id,
    );
  });
};

const startAgentsProcess = (
  sandbox: { dir: string; nats: { url: string }; serverCreds: string; signingKey: string },
  from: number,
  count: number,
): ChildProcess =>
  spawn(
    process.execPath,
    [
      ...profileFlags(`agents-${from}`),
      resolve(import.meta.dirname, 'main.ts'),
      'fleet-agents',
      ...['--from', String(from), '--count', String(count), '--dir', sandbox.dir],
      ...['--nats-url', sandbox.nats.url, '--creds', sandbox.serverCreds, '--key', sandbox.signingKey],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );

const ready = (child: ChildProcess) =>
  new Promise<void>((resolvePromise, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolvePromise();
    });
    child.once('exit', (code) => reject(new Error(`an agents process exited (${code}) before it was ready`)));
  });

const stopChild = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });

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
  let failed: (error: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    allAcked = resolve;
    failed = reject;
  });
  const subscriptions = Array.from({ length: n }, (_, i) => {
    const conn = connections[Math.floor(i / AGENTS_PER_CONNECTION)] as NatsConnection;
    const js = jetstream(conn);
    return conn.subscribe('bench.floor.command', {
      callback: () => {
        persist(js, `bench.floor.result.${i}`, '{"exit_code":0,"stdout":"ok\\n"}', `floor-${i}`).then(
          () => {
            acked += 1;
            if (acked === n) allAcked();
          },
          (error: unknown) => failed(error),
        );
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

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULER_BUCKET } from '../../src/infra/nats/fleet.ts';
import { EVENTS_STREAM } from '../../src/infra/nats/streams.ts';
import { eventually } from '../../src/testing/agentProcess.ts';
import { shJob } from '../../src/testing/api.ts';
import { type InProcessAgents, startInProcessAgents } from '../../src/testing/inProcessAgents.ts';
import { startTestNatsCluster, type TestNatsCluster } from '../../src/testing/natsCluster.ts';
import { startTestServer, type TestServer } from '../../src/testing/server.ts';
import { type ServerProcess, startServerProcess } from '../../src/testing/serverProcess.ts';

// Three real nats-servers, two kanade servers (one a child process, so it can be killed without a
// goodbye), 100 real agents in this process (20 per connection) with every stream at three replicas.
const AGENTS = 100;
const CANARIES = 10;
const pcOf = (i: number) => `cl-pc-${String(i + 1).padStart(3, '0')}`;

let cluster: TestNatsCluster;
let child: ServerProcess;
let server: TestServer;
let fleet: InProcessAgents;
const dir = mkdtempSync(join(tmpdir(), 'kanade-cluster-e2e-'));

type Execution = {
  exec_id: string;
  status: string;
  target_count: number;
  succeeded: number;
  failed: number;
  waves: { wave: number; status: string; dispatched_at: string | null }[];
  results: { pc_id: string; outcome: string | null }[];
};
type Fire = { slot: string; kind: 'fired' | 'skipped'; exec_id: string | null; count: number; to_slot: string };

const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await server.api(method, path, body);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const execution = (id: string) => api<Execution>('GET', `/api/executions/${id}`);

// What an exec and the server's health looked like, for a wait that timed out.
const describeExec = async (id: string) => {
  const e = await execution(id);
  const outcomes: Record<string, number> = {};
  for (const r of e.results) outcomes[String(r.outcome)] = (outcomes[String(r.outcome)] ?? 0) + 1;
  const started = fleet.runs(id);
  const health = await (await server.api('GET', '/health')).text();
  return `${JSON.stringify({ ...e, results: outcomes, started: started.size })}\n${health}`;
};

// Who holds the scheduler lease: `<host>:<pid>:<ulid>`.
const leaseHolder = async (nc: NatsConnection) => {
  const entry = await (await new Kvm(nc).open(SCHEDULER_BUCKET)).get('leader');
  return entry?.operation === 'PUT' ? (entry.json() as { holder: string }).holder : undefined;
};

beforeAll(async () => {
  cluster = await startTestNatsCluster(3);
  // The child server starts first, so it takes the scheduler lease: the one killed in the second test.
  child = await startServerProcess({ broker: cluster, dataDir: join(dir, 'child-server'), replicas: 3 });
  const nc = await cluster.connect();
  try {
    await eventually(
      async () => (await leaseHolder(nc))?.includes(`:${child.process.pid}:`) === true,
      20_000,
      'the child server to lead the scheduler',
    );
  } finally {
    await nc.close();
  }
  server = await startTestServer(cluster, { replicas: 3 });
  await api('POST', '/api/jobs', `${shJob('slow', '"sleep 3; echo done"')}---\n${shJob('hello', 'echo hello')}`);
  fleet = await startInProcessAgents({
    count: AGENTS,
    perConnection: 20,
    dir: join(dir, 'agents'),
    brokerDir: cluster.brokerDir,
    connect: () => cluster.connect({ maxReconnectAttempts: -1, reconnectTimeWait: 250 }),
    groupOf: (i) => (i < CANARIES ? 'canary' : 'wave1'),
    pcOf,
  });
  await eventually(
    async () => (await api<{ total: number }>('GET', '/api/agents?status=online&limit=1')).total === AGENTS,
    30_000,
    `${AGENTS} agents online`,
  );
}, 120_000);

afterAll(async () => {
  try {
    await fleet?.stop();
    await server?.dispose();
  } finally {
    await child?.kill();
    await cluster?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

// Every pc has one result, succeeded, and started the script exactly once.
const expectEachRanOnce = (e: Execution) => {
  expect(e.status).toBe('completed');
  expect(e.target_count).toBe(AGENTS);
  expect(e.succeeded).toBe(AGENTS);
  expect(new Set(e.results.map((r) => r.pc_id)).size).toBe(AGENTS);
  expect(e.results).toHaveLength(AGENTS);
  const runs = fleet.runs(e.exec_id);
  expect(runs.size).toBe(AGENTS);
  expect([...runs.values()].every((n) => n === 1)).toBe(true);
};

describe('kanade on a three-server NATS cluster', () => {
  it('finishes an exec to 100 agents when the event log’s leader is killed mid-run: no result lost, none run twice', async () => {
    const { exec_id } = await api<{ exec_id: string }>('POST', '/api/exec/slow', { target: { all: true } });
    // Kill while the scripts run: results are all still to be recorded.
    await eventually(async () => fleet.runs(exec_id).size >= AGENTS / 2, 40_000, 'half the agents to start').catch(
      async (error) => {
        const e = await execution(exec_id);
        throw new Error(`${error.message}; ${JSON.stringify({ ...e, results: e.results.slice(0, 3) })}`);
      },
    );
    const leader = await cluster.streamLeader(EVENTS_STREAM);
    await cluster.kill(leader);
    const done = await eventually(
      async () => {
        const e = await execution(exec_id);
        return e.status === 'completed' ? e : false;
      },
      45_000,
      'the exec to complete with a server down',
    );
    expectEachRanOnce(done);
    expect(await cluster.streamLeader(EVENTS_STREAM)).not.toBe(leader);
    await cluster.restart(leader);
  }, 90_000);

  it('keeps dispatching waves and firing each schedule slot once when the other kanade server is killed', async () => {
    await api(
      'POST',
      '/api/schedules',
      `id: tick\ncron: "* * * * * *"\njob_id: hello\ntarget: { pcs: [${pcOf(0)}] }\n`,
    );
    const { exec_id } = await api<{ exec_id: string }>('POST', '/api/exec/hello', {
      rollout: {
        strategy: 'wave',
        waves: [
          { group: 'canary', delay: '0s' },
          { group: 'wave1', delay: '8s' },
        ],
      },
    });
    await eventually(
      async () => (await execution(exec_id)).waves[0]?.dispatched_at != null,
      30_000,
      'the canary wave to go out',
    ).catch(async (error) => {
      throw new Error(`${error.message}; ${await describeExec(exec_id)}\n${child.output().slice(-3000)}`);
    });
    await sleep(2_000); // a few slots fired by the child server
    const nc = await cluster.connect();
    try {
      expect(await leaseHolder(nc)).toContain(`:${child.process.pid}:`);
      await child.kill(); // the scheduler's leader, and a dispatcher, gone without a word
      const done = await eventually(
        async () => {
          const e = await execution(exec_id);
          return e.status === 'completed' ? e : false;
        },
        60_000,
        'the rollout to complete on the remaining server',
      ).catch(async (error) => {
        throw new Error(`${error.message}; ${await describeExec(exec_id)}`);
      });
      expect(done.waves.every((w) => w.dispatched_at !== null)).toBe(true);
      expectEachRanOnce(done);

      // The remaining server takes the lease over once it has gone stale (15 s) and fires again.
      await eventually(
        async () => {
          const holder = await leaseHolder(nc);
          return holder !== undefined && !holder.includes(`:${child.process.pid}:`);
        },
        30_000,
        'the remaining server to take the scheduler lease',
      );
    } finally {
      await nc.close();
    }
    const firedAfter = async () =>
      (await api<{ fires: Fire[] }>('GET', '/api/schedules/tick')).fires.filter((f) => f.kind === 'fired').length;
    const before = await firedAfter();
    await eventually(async () => (await firedAfter()) >= before + 3, 15_000, 'three more fires');
    await api('POST', '/api/schedules/tick/disable');
    await sleep(1_500); // a slot in flight when it was disabled lands before the count

    const { fires } = await api<{ fires: Fire[] }>('GET', '/api/schedules/tick');
    const fired = fires.filter((f) => f.kind === 'fired');
    const events = await api<{ events: unknown[] }>(
      'GET',
      '/api/events?type=ScheduleFired&stream=schedule-tick&limit=1000',
    );
    expect(events.events).toHaveLength(fired.length); // one event per fired slot: none fired twice
    expect(new Set(fired.map((f) => f.slot)).size).toBe(fired.length);
    // Every second from the first slot to the last is accounted for: fired, or in a recorded skipped range.
    const first = Math.min(...fires.map((f) => Date.parse(f.slot)));
    const last = Math.max(...fires.map((f) => Date.parse(f.to_slot)));
    expect(fires.reduce((n, f) => n + f.count, 0)).toBe((last - first) / 1000 + 1);
    // Each fired slot requested one exec, run once at its pc.
    for (const f of fired) expect(fleet.runs(f.exec_id as string).get(pcOf(0)) ?? 0).toBeLessThanOrEqual(1);
  }, 120_000);
});

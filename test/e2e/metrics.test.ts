import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEATS_STREAM } from '../../src/infra/nats/fleet.ts';
import { EVENTS_STREAM } from '../../src/infra/nats/streams.ts';
import { lagOf } from '../../src/server/metrics.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, execToEnd, shJob } from '../../src/testing/api.ts';
import { type Family, parseExposition, samplesOf, sampleValue } from '../../src/testing/prometheus.ts';
import { startTestServer, useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-metrics-'));
let agent: AgentProcess;
let metricsPort: number;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const scrape = async (url: string, headers: Record<string, string> = {}): Promise<Map<string, Family>> => {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
};
const scrapeServer = () => scrape(`${sandbox.server.url}/metrics`, { Authorization: `Bearer ${sandbox.server.token}` });
const scrapeAgent = () => scrape(`http://127.0.0.1:${metricsPort}/metrics`);
const count = (m: Map<string, Family>, family: string, labels: Record<string, string> = {}) =>
  samplesOf(m, family, labels, `${family}_count`).reduce((n, s) => n + s.value, 0);

// TCP ports a process listens on, from /proc: its socket inodes matched against the LISTEN entries.
const listeningPorts = (pid: number): number[] => {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined; // closed meanwhile
        }
      })
      .filter((inode) => inode !== undefined),
  );
  return ['tcp', 'tcp6'].flatMap((table) =>
    readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[3] === '0A' && inodes.has(f[9] ?? ''))
      .map((f) => Number.parseInt(f[1]?.split(':')[1] ?? '', 16)),
  );
};

beforeAll(async () => {
  metricsPort = await freePort();
  agent = startAgentProcess({
    id: 'pc-m1',
    groups: ['canary'],
    sandbox,
    dataDir: join(dir, 'pc-m1'),
    args: ['--metrics-port', String(metricsPort)],
  });
  await agent.ready();
  await agentsOnline(sandbox, 1);
  await api('POST', '/api/jobs', shJob('hello', 'echo hello'));
  await api('POST', '/api/jobs', shJob('nap', '"sleep 2"'));
});
afterAll(async () => {
  await agent?.stop();
});

describe('server metrics', () => {
  it('need the API token unless made public', async () => {
    const denied = await fetch(`${sandbox.server.url}/metrics`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toMatch(/problem\+json/);
    const wrong = await fetch(`${sandbox.server.url}/metrics`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await sandbox.server.api('GET', '/api/no-such-route')).status).toBe(404);
    const open = await startTestServer(sandbox.nats, { metricsPublic: true });
    try {
      const m = await scrape(`${open.url}/metrics`);
      expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      await open.dispose();
    }
  });

  it('after an exec and a rollout ran to the end: events, dispatch and result latency, lag back to 0, agents and execs by status', async () => {
    const exec = await execToEnd(sandbox, 'hello', { pcs: ['pc-m1'] });
    expect(exec.succeeded).toBe(1);
    const rollout = await api<{ exec_id: string }>('POST', '/api/exec/hello', {
      rollout: { strategy: 'wave', waves: [{ group: 'canary', delay: '0s' }] },
    });
    await eventually(
      async () => (await api<{ status: string }>('GET', `/api/executions/${rollout.exec_id}`)).status === 'completed',
      30_000,
      'the rollout to finish',
    );
    await api('GET', `/api/executions/${exec.exec_id}`);
    const m = await eventually(async () => {
      const now = await scrapeServer();
      return sampleValue(now, 'kanade_projection_lag_events', { read_model: 'events' }) === 0 &&
        sampleValue(now, 'kanade_projection_lag_events', { read_model: 'agent_views' }) === 0
        ? now
        : false;
    });
    expect(sampleValue(m, 'kanade_projection_lag_seconds', { read_model: 'events' })).toBe(0);
    expect(samplesOf(m, 'kanade_projection_lag_events', { read_model: 'heartbeats' })).toHaveLength(1);
    expect(sampleValue(m, 'kanade_events_appended_total', { category: 'exec' })).toBeGreaterThanOrEqual(2); // requested, dispatched
    expect(sampleValue(m, 'kanade_events_appended_total', { category: 'job' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'kanade_events_applied_total', { projection: 'executions' })).toBeGreaterThanOrEqual(5);
    expect(sampleValue(m, 'kanade_events_applied_total', { projection: 'agent_heartbeats' })).toBeGreaterThan(0);
    expect(count(m, 'kanade_dispatch_latency_seconds', { kind: 'exec' })).toBeGreaterThanOrEqual(1);
    expect(count(m, 'kanade_dispatch_latency_seconds', { kind: 'wave' })).toBeGreaterThanOrEqual(1);
    expect(count(m, 'kanade_result_latency_seconds')).toBeGreaterThanOrEqual(1);
    const resultSum = sampleValue(m, 'kanade_result_latency_seconds', {}, 'kanade_result_latency_seconds_sum');
    expect(resultSum).toBeGreaterThanOrEqual(0);
    expect(resultSum).toBeLessThan(30);
    expect(sampleValue(m, 'kanade_agents', { status: 'online' })).toBe(1);
    expect(sampleValue(m, 'kanade_agents', { status: 'offline' })).toBe(0);
    expect(sampleValue(m, 'kanade_agents', { status: 'pending' })).toBe(0);
    expect(sampleValue(m, 'kanade_executions', { status: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'kanade_executions', { status: 'running' })).toBe(0);
    // Requests are labelled by route pattern, never by the raw path.
    expect(
      count(m, 'kanade_http_request_duration_seconds', {
        method: 'GET',
        route: '/api/executions/:execId',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(count(m, 'kanade_http_request_duration_seconds', { route: '/metrics', status: '401' })).toBeGreaterThan(0);
    expect(count(m, 'kanade_http_request_duration_seconds', { route: '/api/*', status: '404' })).toBeGreaterThan(0);
    const routes = samplesOf(
      m,
      'kanade_http_request_duration_seconds',
      {},
      'kanade_http_request_duration_seconds_count',
    );
    expect(routes.filter((s) => s.labels.route?.includes(exec.exec_id))).toEqual([]);
    expect(m.get('kanade_scheduler_fires_total')?.type).toBe('counter');
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('measure a follower that is behind: the messages it lacks, and the age of the first of them', async () => {
    const nc = await sandbox.nats.connect();
    try {
      const deps = { jsm: await jetstreamManager(nc), now: () => new Date() };
      for (const stream of [EVENTS_STREAM, HEARTBEATS_STREAM]) {
        const info = await deps.jsm.streams.info(stream);
        // The heartbeat stream keeps one message per agent: sequence 1 is long gone, the next one counts.
        const first = await deps.jsm.streams.getMessage(stream, { seq: info.state.first_seq });
        const before = Date.now();
        const lag = await lagOf(deps, 'test', stream, 0);
        const after = Date.now();
        expect(lag.events).toBeGreaterThanOrEqual(info.state.last_seq);
        expect(lag.seconds * 1000).toBeGreaterThanOrEqual(before - (first?.time.getTime() ?? 0) - 1);
        expect(lag.seconds * 1000).toBeLessThanOrEqual(after - (first?.time.getTime() ?? 0) + 1);
        expect(await lagOf(deps, 'test', stream, lag.events + 1_000)).toEqual({
          readModel: 'test',
          events: 0,
          seconds: 0,
        });
      }
    } finally {
      await nc.drain();
    }
  });

  it('count schedule fires, and skips by reason', { timeout: 40_000 }, async () => {
    await api('POST', '/api/schedules', 'id: tick\ncron: "* * * * * *"\njob_id: hello\ntarget: { pcs: [pc-m1] }\n');
    await eventually(
      async () => sampleValue(await scrapeServer(), 'kanade_scheduler_fires_total') >= 1,
      15_000,
      'a fire',
    );
    // Slots due while the fleet is halted are held, and recorded as skipped once it resumes.
    await api('POST', '/api/fleet/halt', { reason: 'metrics test' });
    await sleep(2_500);
    await api('POST', '/api/fleet/resume');
    const m = await eventually(
      async () => {
        const now = await scrapeServer();
        return samplesOf(now, 'kanade_scheduler_skips_total', { reason: 'fleet_halted' }).length === 1 ? now : false;
      },
      15_000,
      'a skip',
    );
    await api('POST', '/api/schedules/tick/disable');
    expect(sampleValue(m, 'kanade_scheduler_skips_total', { reason: 'fleet_halted' })).toBeGreaterThanOrEqual(1);
    expect(samplesOf(m, 'kanade_scheduler_skips_total').every((s) => /^[a-z_]+$/.test(s.labels.reason ?? ''))).toBe(
      true,
    );
  });
});

describe('agent metrics', () => {
  it('are served on --metrics-port: commands by outcome, runs, an empty outbox, reconnects', async () => {
    const m = await eventually(async () => {
      const now = await scrapeAgent();
      return sampleValue(now, 'kanade_agent_outbox_depth') === 0 ? now : false;
    });
    expect(sampleValue(m, 'kanade_agent_commands_received_total', { outcome: 'run' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'kanade_agent_runs_total', { outcome: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'kanade_agent_dead_letters')).toBe(0);
    expect(sampleValue(m, 'kanade_agent_reconnects_total')).toBe(0);
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
    expect(listeningPorts(agent.process.pid as number)).toEqual([metricsPort]);
  });

  it('show a result waiting in the outbox while the broker is down, and the reconnect', {
    timeout: 40_000,
  }, async () => {
    const { exec_id } = await api<{ exec_id: string }>('POST', '/api/exec/nap', { target: { pcs: ['pc-m1'] } });
    await eventually(
      async () => (await api<{ running: number }>('GET', `/api/executions/${exec_id}`)).running === 1,
      15_000,
      'the job to start',
    );
    await sandbox.nats.stop();
    await eventually(
      async () => sampleValue(await scrapeAgent(), 'kanade_agent_outbox_depth') >= 1,
      15_000,
      'a result in the outbox',
    );
    await sandbox.nats.restart();
    const m = await eventually(
      async () => {
        const now = await scrapeAgent();
        return sampleValue(now, 'kanade_agent_outbox_depth') === 0 ? now : false;
      },
      20_000,
      'the outbox to empty',
    );
    expect(sampleValue(m, 'kanade_agent_reconnects_total')).toBeGreaterThanOrEqual(1);
  });

  it('are off by default: an agent without --metrics-port listens on no port', async () => {
    const quiet = startAgentProcess({ id: 'pc-m2', sandbox, dataDir: join(dir, 'pc-m2') });
    try {
      await quiet.ready();
      expect(listeningPorts(quiet.process.pid as number)).toEqual([]);
      expect(quiet.output()).not.toMatch(/serving metrics/);
    } finally {
      await quiet.stop();
    }
  });
});

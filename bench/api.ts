import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { serve } from '@hono/node-server';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { jobDecider, jobStreamName } from '../src/domain/jobs/index.ts';
import { commandHandlerFor, jetStreamEventStore, subjectOf } from '../src/infra/eventStore/index.ts';
import { VIEWS } from '../src/infra/nats/fleet.ts';
import { listAgents, type ReadModels } from '../src/projections/index.ts';
import type { LoadResult, LoadSpec } from './apiLoad.ts';
import { enrollSyntheticAgents, growJobHistory, publishHeartbeat } from './apiSetup.ts';
import type { AppendResult, AppendSpec } from './appendWorker.ts';
import { startBenchSandbox } from './sandbox.ts';

const CLIENTS = 50;
const HISTORY = 10_000;
const APPENDS = 300;
const PACE_MS = 250;
const handleJob = commandHandlerFor(jobDecider);

/** Options of `npm run bench -- api`. */
export type ApiBenchOptions = {
  agents: number;
  /** Requests per client per scenario. */
  perClient?: number;
  /**
   * More GET scenarios to put under the same load (name → path), e.g. `GET /api/executions/:id` of a
   * large exec once one is recorded: they are measured like the agents pages.
   */
  extraReads?: (ctx: {
    api: <T>(method: string, path: string, body?: unknown) => Promise<T>;
  }) => Promise<Record<string, string>>;
};

/**
 * `npm run bench -- api --agents 50000`: a real server with N enrolled agents (half heartbeating, and
 * heartbeats arriving at the fleet's rate while it is measured), then under 50 concurrent clients
 * (in a worker thread) the agents pages and revoke/unrevoke writes: p50/p99 and requests/s; and the
 * command append on a job with a 10,000-event history. Each figure is printed beside its floor: the
 * same JSON from a bare Hono handler, the bare SQL of the page, a raw conditional publish.
 */
export const apiBench = async (options: ApiBenchOptions): Promise<void> => {
  const { server, token, stop, connect, api, nats, serverCreds } = await startBenchSandbox('api');
  const { readModels } = server;
  if (readModels === undefined) throw new Error("this benchmark reads the server's read models: it runs in process");
  const nc = await connect();
  const heartbeats = { timer: undefined as NodeJS.Timeout | undefined };
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const at = new Date().toISOString();
    const t0 = performance.now();
    await enrollSyntheticAgents(nc, js, options.agents, at);
    await api('POST', '/api/jobs', {
      id: 'hist',
      version: '1',
      execute: { shell: 'sh', script: 'true', timeout: '30s' },
    });
    await growJobHistory(js, 'hist', '1', HISTORY - 1);
    for (let j = 0; j < CLIENTS; j++) {
      await api('POST', '/api/jobs', {
        id: `w${j}`,
        version: '1',
        execute: { shell: 'sh', script: 'true', timeout: '30s' },
      });
    }
    const head = (await jsm.streams.info('KANADE_EVENTS')).state.last_seq;
    if (!(await readModels.waitFor(head, 300_000))) throw new Error('read models did not catch up');
    await viewsCaughtUp(nc, head);
    console.log(
      `setup: ${options.agents} agents, a job with ${HISTORY} events, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const append = await commandAppend(nc, api, nats.url, serverCreds);

    // The fleet keeps heartbeating while it is measured: every agent every 30 s.
    const perTick = Math.max(1, Math.round(options.agents / 300));
    let next = 0;
    heartbeats.timer = setInterval(() => {
      const now = new Date().toISOString();
      for (let k = 0; k < perTick; k++) publishHeartbeat(nc, (next++ * 2) % options.agents, now);
    }, 100);
    console.log(`heartbeats during the load: ${perTick * 10}/s`);

    const url = server.url;
    const perClient = options.perClient ?? 40;
    const reads: Record<string, string> = {
      'agents, first page': '/api/agents?limit=50',
      'agents, page 100': '/api/agents?limit=50&offset=5000',
      'agents, page 100 by key': '/api/agents?limit=50&after=pc-004999',
      'agents, online': '/api/agents?limit=50&status=online',
      'agents, one group': '/api/agents?limit=50&group=lab',
      'agents, search': '/api/agents?limit=50&q=pc-0042',
      ...(await options.extraReads?.({ api })),
    };
    const results: Record<string, LoadResult> = {};
    for (const [name, path] of Object.entries(reads)) {
      const spec = { url, token, clients: CLIENTS, perClient, requests: [[{ method: 'GET' as const, path }]] };
      results[name] = await load(spec);
      report(name, results[name]);
    }
    const paced = { ...reads.valueOf() } as Record<string, string>;
    console.log(
      `open loop: each of the ${CLIENTS} clients one request every ${PACE_MS} ms (${(CLIENTS * 1000) / PACE_MS} req/s offered)`,
    );
    for (const name of ['agents, first page', 'agents, online', 'agents, one group']) {
      const path = paced[name] as string;
      const spec = {
        url,
        token,
        clients: CLIENTS,
        perClient,
        intervalMs: PACE_MS,
        requests: [[{ method: 'GET' as const, path }]],
      };
      results[`${name}, paced`] = await load(spec);
      report(`${name}, paced`, results[`${name}, paced`] as LoadResult);
    }
    const sample = await (
      await fetch(`${url}/api/agents?limit=50`, { headers: { Authorization: `Bearer ${token}` } })
    ).text();
    await floorHono(sample, token, perClient);
    await floorSql(readModels.db);

    const writes = Array.from({ length: CLIENTS }, (_, j) => [
      { method: 'POST' as const, path: `/api/jobs/w${j}/revoke` },
      { method: 'POST' as const, path: `/api/jobs/w${j}/unrevoke` },
    ]);
    report('revoke/unrevoke, 50 jobs', await load({ url, token, clients: CLIENTS, perClient: 20, requests: writes }));
    await floorPublishes(nc, CLIENTS, 20);
    const p99 = (r: LoadResult | undefined) => Number(pct(r?.latenciesMs ?? [], 0.99).toFixed(2));
    const first = results['agents, first page'];
    console.log(
      JSON.stringify({
        agents: options.agents,
        clients: CLIENTS,
        agents_page_p99_ms: p99(first),
        agents_page_req_per_s: Math.round((first?.requests ?? 0) / (first?.seconds ?? 1)),
        agents_page_paced_p99_ms: p99(results['agents, first page, paced']),
        ...append,
      }),
    );
  } finally {
    clearInterval(heartbeats.timer);
    await nc.drain();
    await stop();
  }
};

// The append of one command on a job with a long history, three ways, beside a raw conditional publish.
const commandAppend = async (
  nc: NatsConnection,
  api: <T>(m: string, p: string, b?: unknown) => Promise<T>,
  natsUrl: string,
  credsFile: string,
) => {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const subject = subjectOf(jobStreamName('hist'));
  const cold = jetStreamEventStore(js, jsm);
  const commit = (i: number) => ({ id: `bench-${i}-${Math.random()}`, actor: 'bench', at: new Date().toISOString() });
  const revoke = (i: number) =>
    ({ type: i % 2 === 0 ? 'RevokeJob' : 'UnrevokeJob', data: { job_id: 'hist' } }) as const;
  const coldMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const fresh = jetStreamEventStore(js, jsm);
    const t = performance.now();
    await handleJob(fresh, 'job-hist', revoke(i), commit(i));
    coldMs.push(performance.now() - t);
  }
  console.log(`command, cold (folds ${HISTORY} events, as before the cache): ${stats(coldMs)}`);
  const inWorker = await appendInWorker({ url: natsUrl, credsFile, jobId: 'hist', commands: APPENDS });
  console.log(`command, first in a fresh process (folds ${HISTORY} events): ${inWorker.coldMs.toFixed(1)} ms`);
  const warmMs = inWorker.warmMs;
  console.log(`command append, cached state, own thread (decide + verify + publish): ${stats(warmMs)}`);
  await handleJob(cold, 'job-hist', revoke(5), commit(5));
  const sameLoop: number[] = [];
  for (let i = 6; i < 6 + APPENDS; i++) {
    const t = performance.now();
    await handleJob(cold, 'job-hist', revoke(i), commit(i));
    sameLoop.push(performance.now() - t);
  }
  console.log(`command append, cached state, on the server's thread (which reacts to each commit): ${stats(sameLoop)}`);
  const httpMs: number[] = [];
  for (let i = 0; i < APPENDS; i++) {
    const t = performance.now();
    await api('POST', `/api/jobs/hist/${i % 2 === 0 ? 'revoke' : 'unrevoke'}`, {});
    httpMs.push(performance.now() - t);
  }
  console.log(`command append over HTTP (POST /api/jobs/hist/revoke|unrevoke): ${stats(httpMs)}`);
  const last = async (direct: boolean) => {
    const ms: number[] = [];
    for (let i = 0; i < APPENDS; i++) {
      const t = performance.now();
      if (direct) await jsm.direct.getMessage('KANADE_EVENTS', { last_by_subj: subject });
      else await jsm.streams.getMessage('KANADE_EVENTS', { last_by_subj: subject });
      ms.push(performance.now() - t);
    }
    return stats(ms);
  };
  console.log(`last commit of a subject: direct get ${await last(true)}; STREAM.MSG.GET ${await last(false)}`);
  await jsm.streams.add({ name: 'BENCH_FLOOR', subjects: ['floor.>'] });
  const floorMs: number[] = [];
  let seq = 0;
  for (let i = 0; i < APPENDS; i++) {
    const t = performance.now();
    seq = (await js.publish('floor.one', '{"events":[]}', { expect: { lastSubjectSequence: seq } })).seq;
    floorMs.push(performance.now() - t);
  }
  console.log(`floor: raw conditional publish (expected last subject sequence): ${stats(floorMs)}`);
  return {
    append_p99_ms: Number(pct(warmMs, 0.99).toFixed(2)),
    append_http_p99_ms: Number(pct(httpMs, 0.99).toFixed(2)),
    append_floor_p99_ms: Number(pct(floorMs, 0.99).toFixed(2)),
    append_cold_p50_ms: Number(pct(coldMs, 0.5).toFixed(2)),
  };
};

// The views writer signs and writes a KV value per enrolled agent (two round trips each, one after
// another): measure after it when it is done within a minute, and say so when it is not.
const viewsCaughtUp = async (nc: NatsConnection, head: number) => {
  const meta = await new Kvm(nc).open(VIEWS.meta);
  let checkpoint = 0;
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(500)) {
    checkpoint = Number((await meta.get('checkpoint'))?.string() ?? 0);
    if (checkpoint >= head) return;
  }
  console.log(`the views writer is still behind (at ${checkpoint} of ${head}): measured while it writes`);
};

const appendInWorker = (spec: AppendSpec): Promise<AppendResult> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./appendWorker.ts', import.meta.url), { workerData: spec });
    worker.once('message', (m: AppendResult | { error: string }) => {
      void worker.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once('error', reject);
  });

const load = (spec: LoadSpec): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./apiLoad.ts', import.meta.url), { workerData: spec });
    worker.once('message', (m: LoadResult | { error: string }) => {
      void worker.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once('error', reject);
  });

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const pct = (ms: number[], p: number) =>
  percentile(
    [...ms].sort((a, b) => a - b),
    p,
  );
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(s, 0.5).toFixed(2)} ms, p99 ${percentile(s, 0.99).toFixed(2)} ms (n=${s.length})`;
};
const report = (name: string, r: LoadResult) => {
  const failed = r.failures.length === 0 ? '' : `, FAILED: ${r.failures.join('; ')}`;
  console.log(`${name.padEnd(28)} ${stats(r.latenciesMs)}, ${(r.requests / r.seconds).toFixed(0)} req/s${failed}`);
};

// The HTTP floor: the same page's JSON from a bare Hono handler, under the same 50 clients.
const floorHono = async (body: string, token: string, perClient: number) => {
  const app = new Hono().get('/api/agents', (c) => c.body(body, 200, { 'Content-Type': 'application/json' }));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  const spec = {
    url: `http://127.0.0.1:${port}`,
    token,
    clients: CLIENTS,
    perClient,
    requests: [[{ method: 'GET' as const, path: '/api/agents' }]],
  };
  report('floor: bare Hono, same JSON', await load(spec));
  await new Promise((r) => server.close(r));
};

// The SQL floor: listAgents itself (page and total), one after another on the live read models.
const floorSql = async (db: () => Kysely<ReadModels>) => {
  for (const [name, filter] of Object.entries({
    'first page': {},
    online: { status: 'online' as const },
    group: { group: 'lab' },
  })) {
    const ms: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await listAgents(db(), { now: new Date(), limit: 50, offset: 0, ...filter });
      ms.push(performance.now() - t);
    }
    console.log(`floor: listAgents query alone, ${name}: ${stats(ms)}`);
  }
};

// The write floor: 50 writers, each a raw conditional publish loop on its own subject.
const floorPublishes = async (nc: NatsConnection, writers: number, each: number) => {
  const js = jetstream(nc);
  const ms: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      let seq = 0;
      for (let i = 0; i < each; i++) {
        const t = performance.now();
        seq = (await js.publish(`floor.w${w}`, '{"events":[]}', { expect: { lastSubjectSequence: seq } })).seq;
        ms.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `floor: 50 raw conditional publishers        ${stats(ms)}, ${(ms.length / seconds).toFixed(0)} publishes/s`,
  );
};

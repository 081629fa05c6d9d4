import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeliverPolicy, type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { buildCommand } from '../src/domain/execs/index.ts';
import { encodeCommit, subjectOf } from '../src/infra/eventStore/index.ts';
import { silentLogger } from '../src/infra/log.ts';
import { EVENTS_STREAM, ensureStream, eventsStreamConfig } from '../src/infra/nats/streams.ts';
import { findNatsServer, startNatsServer } from '../src/infra/natsServer.ts';
import { resultIdOf } from '../src/infra/runIds.ts';
import {
  closeReadModelDatabase,
  createRunner,
  getExecution,
  openReadModelDatabase,
  PROJECTIONS,
} from '../src/projections/index.ts';
import { aManifest } from '../src/testing/manifests.ts';
import { describeMachine } from './machine.ts';

const EXEC = 'bench-exec';
const REQUEST = 'bench-request';
const AT = '2026-12-01T00:00:00.000Z';

// One exec to `results` PCs (its PC list left out: only its count matters to the read model).
const requestExec = async (js: JetStreamClient, results: number) => {
  const command = buildCommand(aManifest(), { exec_id: EXEC, request_id: REQUEST });
  const data = { exec_id: EXEC, kind: 'job', job_id: 'echo', version: '1.0.0', request_id: REQUEST };
  const event = {
    type: 'ExecRequested',
    data: { ...data, target: { all: true }, pcs: [], target_count: results, command },
  };
  await js.publish(subjectOf(`exec-${EXEC}`), encodeCommit({ id: 'bench-exec', actor: 'bench', at: AT }, [event]));
};

// What an agent appends when its run ends, for PC i (a result the read boundary accepts).
const resultCommit = (i: number) => {
  const pc_id = `pc-${i}`;
  const result_id = resultIdOf(REQUEST, pc_id);
  const identity = { result_id, exec_id: EXEC, request_id: REQUEST, job_id: 'echo', version: '1.0.0', pc_id };
  const data = { ...identity, started_at: AT, finished_at: AT, exit_code: 0, outcome: 'succeeded' };
  const event = { type: 'RunFinished', data: { ...data, stdout: `hello from ${pc_id}\n`, stderr: '' } };
  return {
    subject: subjectOf(`run-${pc_id}/${result_id}`),
    body: encodeCommit({ id: `r-${i}`, actor: `agent:${pc_id}`, at: AT, via: 'agent' }, [event]),
  };
};

// Publishes every result as fast as the broker acknowledges them (1,000 in flight), as a fleet would.
const publishResults = async (js: JetStreamClient, results: number): Promise<number> => {
  const started = performance.now();
  for (let i = 0; i < results; i += 1000) {
    const acks = [];
    for (let j = i; j < Math.min(results, i + 1000); j++) {
      const { subject, body } = resultCommit(j);
      acks.push(js.publish(subject, body, { msgID: `r-${j}` }));
    }
    await Promise.all(acks);
  }
  return (performance.now() - started) / 1000;
};

export type Follower = { ready: Promise<void>; done: Promise<Record<string, number>>; stop: () => void };

// A follower in a process of its own: it prints "ready" once it follows the stream, then one JSON line.
export const startFollower = (args: string[]): Follower => {
  const profile = process.env.KANADE_BENCH_PROFILE;
  const flags = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  const child = spawn(process.execPath, [...flags, join(import.meta.dirname, 'main.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  let ready: () => void = () => {};
  const readyP = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const done = new Promise<Record<string, number>>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') ready();
      else if (line.startsWith('{')) resolve(JSON.parse(line) as Record<string, number>);
    });
    child.once('exit', (code) => reject(new Error(`follower exited with ${code}`)));
  });
  return { ready: readyP, done, stop: () => child.kill() };
};

const live = async (js: JetStreamClient, args: string[], results: number) => {
  const follower = startFollower(args);
  await follower.ready;
  const started = performance.now();
  const publishSeconds = await publishResults(js, results);
  const report = await follower.done;
  return { seconds: (performance.now() - started) / 1000, publishSeconds, report };
};

/**
 * `npm run bench -- fanin [--results N]`: one exec's N results (50,000 by default) land in the read
 * models while the live projection runner follows the stream, beside the floor (a raw follower that
 * inserts each message as a row, in batches the same way) in the same run; then the same N results as
 * a backlog a follower starts on; and what reading that exec costs.
 */
export const faninBench = async (options: { results: number }): Promise<void> => {
  const bin = findNatsServer(process.env.KANADE_NATS_SERVER_BIN, process.env.PATH);
  if (bin === undefined) throw new Error('nats-server not found');
  const dir = mkdtempSync(join(tmpdir(), 'kanade-fanin-'));
  const n = options.results;
  try {
    console.log(`machine: ${describeMachine(bin)}`);
    const run = async (name: string, role: 'fanin-follower' | 'fanin-floor') => {
      const nats = await startNatsServer({ bin, storeDir: join(dir, `nats-${name}`) });
      const nc = await connect({ servers: nats.url });
      try {
        await ensureStream(await jetstreamManager(nc), eventsStreamConfig(), silentLogger);
        const js = jetstream(nc);
        await requestExec(js, n);
        const args = (file: string) => [
          role,
          '--nats-url',
          nats.url,
          '--file',
          join(dir, file),
          '--events',
          String(n + 1),
        ];
        const liveRun = await live(js, args(`${name}-live.sqlite`), n);
        const backlog = startFollower(args(`${name}-backlog.sqlite`));
        await backlog.ready;
        return { live: liveRun, backlog: await backlog.done };
      } finally {
        await nc.drain();
        await nats.stop();
      }
    };
    const floor = await run('floor', 'fanin-floor');
    const kanade = await run('kanade', 'fanin-follower');
    const results = {
      results: n,
      live_seconds: round(kanade.live.seconds),
      live_results_per_s: Math.round(n / kanade.live.seconds),
      publish_seconds: round(kanade.live.publishSeconds),
      floor_live_seconds: round(floor.live.seconds),
      floor_live_results_per_s: Math.round(n / floor.live.seconds),
      ratio_to_floor: round(floor.live.seconds / kanade.live.seconds),
      backlog_results_per_s: Math.round(n / (kanade.backlog.seconds as number)),
      floor_backlog_results_per_s: Math.round(n / (floor.backlog.seconds as number)),
      backlog_ratio_to_floor: round((floor.backlog.seconds as number) / (kanade.backlog.seconds as number)),
      transactions: kanade.backlog.transactions,
      get_execution_ms: kanade.backlog.getMs,
      count_results_ms: kanade.backlog.countMs,
      peak_rss_mib: kanade.backlog.maxRssMiB,
    };
    console.log(
      `live: ${n.toLocaleString('en')} results applied ${results.live_seconds} s after the first was published (${results.live_results_per_s.toLocaleString('en')}/s; publishing took ${results.publish_seconds} s); floor ${results.floor_live_seconds} s: ${results.ratio_to_floor}× the floor`,
    );
    console.log(
      `backlog: ${results.backlog_results_per_s.toLocaleString('en')} results/s in ${results.transactions} transactions; floor ${results.floor_backlog_results_per_s.toLocaleString('en')}/s: ${results.backlog_ratio_to_floor}× the floor`,
    );
    console.log(
      `GET /api/executions/:id's query with ${n.toLocaleString('en')} results: ${results.get_execution_ms} ms (one page of 1,000; counting the exec's results alone takes ${results.count_results_ms} ms)`,
    );
    console.log(JSON.stringify(results));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const round = (x: number) => Number(x.toFixed(2));

// The kanade side: the server's own live runner (follow), on a fresh read-model file.
export const faninFollower = async (options: { natsUrl: string; file: string; events: number }): Promise<void> => {
  const nc = await connect({ servers: options.natsUrl });
  const js = jetstream(nc);
  const database = await openReadModelDatabase(options.file);
  const runner = createRunner({
    js,
    jsm: await jetstreamManager(nc),
    stream: EVENTS_STREAM,
    sqlite: database.sqlite,
    projections: PROJECTIONS,
    log: silentLogger,
  });
  let transactions = 0;
  const done = new Promise<void>((resolve) =>
    runner.onApplied((seq) => {
      transactions++;
      if (seq >= options.events) resolve();
    }),
  );
  const started = performance.now();
  void runner.follow();
  console.log('ready');
  await done;
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  const t = performance.now();
  const detail = await getExecution(database.db, EXEC);
  const getMs = performance.now() - t;
  if (detail?.results_total !== options.events - 1 || detail.succeeded !== options.events - 1)
    throw new Error(`expected ${options.events - 1} results, read ${detail?.results_total}`);
  const c = performance.now();
  database.sqlite.prepare('SELECT count(*) FROM results WHERE exec_id = ?').pluck().get(EXEC);
  const countMs = performance.now() - c;
  await closeReadModelDatabase(database);
  await nc.drain();
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ seconds, transactions, getMs: round(getMs), countMs: round(countMs), maxRssMiB }));
};

// The floor: the same messages through an ordered consumer, inserted raw, committed like the runner
// does (at most 10,000 per transaction, at once when nothing more is pending).
export const faninFloor = async (options: {
  natsUrl: string;
  file: string;
  events: number;
  /** The stream to follow (the event log by default). */
  stream?: string;
  /** A credentials file, where the broker requires one. */
  credsFile?: string;
}): Promise<void> => {
  const creds =
    options.credsFile === undefined ? {} : { authenticator: credsAuthenticator(readFileSync(options.credsFile)) };
  const nc = await connect({ servers: options.natsUrl, ...creds });
  const js = jetstream(nc);
  const sqlite = new Database(options.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('CREATE TABLE raw (seq INTEGER PRIMARY KEY, subject TEXT NOT NULL, body BLOB NOT NULL)');
  const insert = sqlite.prepare('INSERT INTO raw (seq, subject, body) VALUES (?, ?, ?)');
  const write = sqlite.transaction((rows: [number, string, Uint8Array][]) => {
    for (const row of rows) insert.run(row);
  });
  const consumer = await js.consumers.get(options.stream ?? EVENTS_STREAM, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 500 });
  console.log('ready');
  let rows: [number, string, Uint8Array][] = [];
  const started = performance.now();
  let transactions = 0;
  for await (const m of messages) {
    rows.push([m.seq, m.subject, m.data]);
    if (rows.length >= 10_000 || m.info.pending === 0) {
      write.immediate(rows);
      transactions++;
      rows = [];
    }
    if (m.seq >= options.events) break;
  }
  // When the last row was committed, on a clock other processes share (for a start they timed).
  const finishedAtMs = performance.timeOrigin + performance.now();
  const seconds = (performance.now() - started) / 1000;
  await messages.close();
  sqlite.close();
  await nc.drain();
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ seconds, transactions, maxRssMiB, finishedAtMs }));
};

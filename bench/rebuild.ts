import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { JobEvent, JobManifest } from '../src/domain/jobs/index.ts';
import { encodeCommit, subjectOf } from '../src/infra/eventStore/index.ts';
import { silentLogger } from '../src/infra/log.ts';
import { ensureStream, eventsStreamConfig } from '../src/infra/nats/streams.ts';
import { findNatsServer, startNatsServer } from '../src/infra/natsServer.ts';
import { bulkCatchUp, closeReadModelDatabase, eventLogSource, openGeneration } from '../src/projections/index.ts';
import { describeMachine, processResources } from './machine.ts';

const manifest = (id: string, version: number): JobManifest => ({
  id,
  version: `1.${version}.0`,
  description: `synthetic job ${id}, revision ${version}`,
  execute: {
    shell: 'sh',
    script: `#!/bin/sh\nset -eu\necho "job ${id} v${version} on $(hostname)"\nfind /tmp -type f -mtime +7 | wc -l\n`,
    timeout: '5m',
    run_as: 'system',
  },
  staleness: { mode: 'cached' },
  require_approval: false,
  tags: ['bench', `group-${id.length % 7}`],
});

// A catalog history: jobs registered, then updated, revoked and unrevoked at random, one event per commit.
const eventAt = (i: number, jobs: number, versions: number[]): JobEvent => {
  const n = i % jobs;
  const id = `job-${n}`;
  if (i < jobs) return { type: 'JobRegistered', data: { job_id: id, version: '1.0.0', manifest: manifest(id, 0) } };
  const roll = (i * 2654435761) % 100;
  const v = versions[n] ?? 0;
  if (roll < 70) {
    versions[n] = v + 1;
    return {
      type: 'JobUpdated',
      data: {
        job_id: id,
        version: `1.${v + 1}.0`,
        previous_version: `1.${v}.0`,
        manifest: manifest(id, v + 1),
        changed: ['execute.script', 'version'],
      },
    };
  }
  if (roll < 85) return { type: 'JobRevoked', data: { job_id: id, version: `1.${v}.0`, reason: 'bench' } };
  return { type: 'JobUnrevoked', data: { job_id: id, version: `1.${v}.0` } };
};

const append = async (js: JetStreamClient, count: number): Promise<number> => {
  const jobs = Math.max(1, Math.floor(count / 100));
  const versions: number[] = [];
  const started = performance.now();
  const inFlight = 1000;
  for (let i = 0; i < count; i += inFlight) {
    const acks = [];
    for (let j = i; j < Math.min(count, i + inFlight); j++) {
      const event = eventAt(j, jobs, versions);
      const commit = {
        id: `bench-${j}`,
        actor: 'bench',
        at: new Date(1_790_000_000_000 + j * 1000).toISOString(),
        via: 'bench',
      };
      acks.push(js.publish(subjectOf(`job-${event.data.job_id}`), encodeCommit(commit, [event]), { msgID: commit.id }));
    }
    await Promise.all(acks);
  }
  return count / ((performance.now() - started) / 1000);
};

/**
 * `npm run bench -- rebuild [--events N] [--batch N]`: throughput and peak memory of the server's own
 * rebuild path, beside the raw JetStream → SQLite floor for the same stream in the same run.
 */
export const rebuildBench = async (options: { events: number; batch?: number }): Promise<void> => {
  const bin = findNatsServer(process.env.KANADE_NATS_SERVER_BIN, process.env.PATH);
  if (bin === undefined) throw new Error('nats-server not found');
  const dir = mkdtempSync(join(tmpdir(), 'kanade-bench-'));
  const nats = await startNatsServer({ bin, storeDir: join(dir, 'nats') });
  const nc = await connect({ servers: nats.url });
  try {
    console.log(`machine: ${describeMachine(bin)}`);
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, eventsStreamConfig(), silentLogger);
    const js = jetstream(nc);
    console.log(`appending ${options.events} events (one per commit)…`);
    const batchArgs = options.batch === undefined ? [] : ['--batch', String(options.batch)];
    const appendRate = await append(js, options.events);
    // The floor first, then kanade, each in a fresh process against the same stream.
    const floor = await runWorker([
      'rebuild-floor',
      '--nats-url',
      nats.url,
      '--file',
      join(dir, 'floor.sqlite'),
      ...batchArgs,
    ]);
    checkRows(floor, options.events, 'floor');
    const file = join(dir, 'readmodels.sqlite');
    const kanade = await runWorker(['rebuild-worker', '--nats-url', nats.url, '--file', file, ...batchArgs]);
    checkRows(kanade, options.events, 'event_log');
    const eventsPerS = options.events / kanade.seconds;
    const floorPerS = options.events / floor.seconds;
    const results = {
      events: options.events,
      batch: options.batch ?? 'default',
      seconds: Number(kanade.seconds.toFixed(2)),
      events_per_s: Math.round(eventsPerS),
      floor_seconds: Number(floor.seconds.toFixed(2)),
      floor_events_per_s: Math.round(floorPerS),
      ratio_to_floor: Number((eventsPerS / floorPerS).toFixed(2)),
      cpu_seconds: kanade.cpuSeconds,
      floor_cpu_seconds: floor.cpuSeconds,
      peak_rss_mib: kanade.maxRssMiB,
      floor_peak_rss_mib: floor.maxRssMiB,
      sqlite_mib: Number((statSync(file).size / 2 ** 20).toFixed(1)),
      append_events_per_s: Math.round(appendRate),
    };
    console.log(
      `rebuild: ${results.events_per_s.toLocaleString('en')} events/s (${results.seconds} s), ${results.cpu_seconds} s of CPU, peak RSS ${results.peak_rss_mib} MiB, SQLite ${results.sqlite_mib} MiB`,
    );
    console.log(
      `floor (raw JetStream → SQLite rows): ${results.floor_events_per_s.toLocaleString('en')} events/s (${results.floor_seconds} s), ${results.floor_cpu_seconds} s of CPU, peak RSS ${results.floor_peak_rss_mib} MiB; kanade at ${results.ratio_to_floor}× the floor`,
    );
    console.log(JSON.stringify(results));
  } finally {
    await nc.drain();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

/** The rebuild itself, in a fresh process so its peak memory is its own: prints one JSON line. */
export const rebuildWorker = async (options: { natsUrl: string; file: string; batch?: number }): Promise<void> => {
  const nc = await connect({ servers: options.natsUrl });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const gen = await openGeneration(options.file, {
    js,
    jsm,
    sources: [eventLogSource()],
    log: silentLogger,
    ...(options.batch === undefined ? {} : { batchSize: options.batch }),
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  await bulkCatchUp(gen);
  const seconds = (performance.now() - started) / 1000;
  const rows = gen.database.sqlite.prepare('SELECT count(*) FROM event_log').pluck().get() as number;
  await closeReadModelDatabase(gen.database);
  await nc.drain();
  console.log(JSON.stringify({ seconds, rows, ...processResources(cpu) }));
};

type WorkerRun = { seconds: number; rows: number; maxRssMiB: number; cpuSeconds: number };

const checkRows = (run: WorkerRun, events: number, table: string) => {
  if (run.rows !== events) throw new Error(`expected ${events} ${table} rows, found ${run.rows}`);
};

// Runs one side of the bench in a fresh process (so its peak memory is its own); its last line is JSON.
const runWorker = (args: string[]): Promise<WorkerRun> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        ...(process.env.KANADE_BENCH_PROFILE
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KANADE_BENCH_PROFILE}`]
          : []),
        join(import.meta.dirname, 'main.ts'),
        ...args,
      ],
      { maxBuffer: 1 << 20 },
      (error, stdout, stderr) =>
        error === null
          ? resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as WorkerRun)
          : reject(new Error(`${error.message}\n${stderr}`)),
    );
  });

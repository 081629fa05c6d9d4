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
import { describeMachine } from './machine.ts';

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

/** `npm run bench -- rebuild [--events N] [--batch N]`: throughput and peak memory of the server's own rebuild path. */
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
    const appendRate = await append(js, options.events);
    const file = join(dir, 'readmodels.sqlite');
    const worker = await runWorker([
      'rebuild-worker',
      '--nats-url',
      nats.url,
      '--file',
      file,
      ...(options.batch === undefined ? [] : ['--batch', String(options.batch)]),
    ]);
    const {
      seconds,
      rows,
      maxRssMiB: peakRssMiB,
    } = JSON.parse(worker) as { seconds: number; rows: number; maxRssMiB: number };
    if (rows !== options.events) throw new Error(`expected ${options.events} event_log rows, found ${rows}`);
    const results = {
      events: options.events,
      batch: options.batch ?? 'default',
      append_events_per_s: Math.round(appendRate),
      rebuild_seconds: Number(seconds.toFixed(2)),
      rebuild_events_per_s: Math.round(options.events / seconds),
      peak_rss_mib: peakRssMiB,
      sqlite_mib: Number((statSync(join(dir, 'readmodels.sqlite')).size / 2 ** 20).toFixed(1)),
    };
    console.log(
      `rebuild: ${results.rebuild_events_per_s.toLocaleString('en')} events/s (${results.rebuild_seconds} s), peak RSS of the rebuild process ${peakRssMiB} MiB, SQLite ${results.sqlite_mib} MiB; append ${results.append_events_per_s.toLocaleString('en')} events/s`,
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
  await bulkCatchUp(gen);
  const seconds = (performance.now() - started) / 1000;
  const rows = gen.database.sqlite.prepare('SELECT count(*) FROM event_log').pluck().get() as number;
  await closeReadModelDatabase(gen.database);
  await nc.drain();
  console.log(JSON.stringify({ seconds, rows, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
};

const runWorker = (args: string[]): Promise<string> =>
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
          ? resolve(stdout.trim().split('\n').at(-1) ?? '')
          : reject(new Error(`${error.message}\n${stderr}`)),
    );
  });

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../../domain/execs/index.ts';
import { encodeCommit, subjectOf } from '../../infra/eventStore/index.ts';
import { silentLogger } from '../../infra/log.ts';
import { ensureFleetResources, openOutputStore } from '../../infra/nats/fleet.ts';
import { publishOutput } from '../../infra/nats/output.ts';
import { EVENTS_STREAM, ensureStream, eventsStreamConfig } from '../../infra/nats/streams.ts';
import { resultIdOf } from '../../infra/runIds.ts';
import { aManifest } from '../../testing/manifests.ts';
import { startTestNats, type TestNats } from '../../testing/nats.ts';
import { tableChecksums } from '../checksum.ts';
import { closeReadModelDatabase, openReadModelDatabase } from '../database.ts';
import { PROJECTIONS } from '../eventLogProjections.ts';
import { createOutputEnricher } from '../executions/output.ts';
import { createRunner } from '../runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'kanade-writer-thread-'));
const AT = '2026-12-01T00:00:00.000Z';
const BIG = `${'output kept in the output stream\n'.repeat(12_000)}end\n`; // ~400 KiB: two chunks
let nats: TestNats;
let nc: NatsConnection;

const publish = (js: JetStreamClient, stream: string, type: string, data: Record<string, unknown>, id: string) =>
  js.publish(subjectOf(stream), encodeCommit({ id, actor: 'tester', at: AT }, [{ type, data }]));

// One exec and its results: plain ones, one whose stdout is in the output stream, a bad commit.
const history = async (js: JetStreamClient) => {
  const command = buildCommand(aManifest(), { exec_id: 'e1', request_id: 'r1' });
  const exec = { exec_id: 'e1', kind: 'job', job_id: 'echo', version: '1.0.0', request_id: 'r1' };
  await publish(
    js,
    'exec-e1',
    'ExecRequested',
    { ...exec, target: { all: true }, pcs: [], target_count: 5, command },
    'x',
  );
  for (let i = 0; i < 5; i++) {
    const pc_id = `pc-${i}`;
    const result_id = resultIdOf('r1', pc_id);
    const identity = { result_id, exec_id: 'e1', request_id: 'r1', job_id: 'echo', version: '1.0.0', pc_id };
    const stdout_output = i === 2 ? await publishOutput(js, { pc_id, result_id }, 'stdout', BIG, `n${i}`) : undefined;
    await publish(
      js,
      `run-${pc_id}/${result_id}`,
      'RunFinished',
      {
        ...identity,
        started_at: AT,
        finished_at: AT,
        exit_code: 0,
        outcome: 'succeeded',
        stdout: stdout_output === undefined ? `hi from ${pc_id}` : '',
        stderr: '',
        ...(stdout_output === undefined ? {} : { stdout_output }),
      },
      `r${i}`,
    );
  }
  nc.publish('kanade.ev.job.garbage', 'not json');
  await nc.flush();
};

// Replays the stream into a fresh file with the real runner, on this thread or on a writer thread.
const build = async (file: string, onWriterThread: boolean, batchSize: number) => {
  const database = await openReadModelDatabase(join(dir, file));
  const js = jetstream(nc);
  const runner = createRunner({
    js,
    jsm: await jetstreamManager(nc),
    stream: EVENTS_STREAM,
    sqlite: database.sqlite,
    projections: PROJECTIONS,
    log: silentLogger,
    batchSize,
    offThread: 'event-log',
    enrich: createOutputEnricher({ js, objects: () => openOutputStore(nc) }),
  });
  const seq = await runner.catchUp(undefined, onWriterThread ? { offThreadFrom: 1 } : {});
  const stdout = database.sqlite.prepare("SELECT stdout FROM results WHERE pc_id = 'pc-2'").pluck().get() as string;
  const sums = tableChecksums(database.sqlite);
  await closeReadModelDatabase(database);
  return { seq, stdout, sums };
};

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, eventsStreamConfig(), silentLogger);
  await ensureFleetResources(nc, jsm, silentLogger);
  await history(jetstream(nc));
});
afterAll(async () => {
  await nc?.drain();
  await nats?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('a bulk load on a writer thread', () => {
  it('reads output back from the output stream and gives the same tables as this thread', async () => {
    const here = await build('here.sqlite', false, 10_000);
    expect(here.seq).toBe(7);
    expect(here.stdout).toBe(BIG);
    for (const batch of [10_000, 2]) {
      const there = await build(`there-${batch}.sqlite`, true, batch);
      expect(there.seq).toBe(7);
      expect(there.stdout).toBe(BIG);
      expect(there.sums).toEqual(here.sums);
    }
  });
});

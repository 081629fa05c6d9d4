import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../infra/log.ts';
import { EVENTS_STREAM, ensureStream, eventsStreamConfig } from '../infra/nats/streams.ts';
import { fixtureEvents, loadFixture, publishFixture } from '../testing/fixtures.ts';
import { startTestNats, type TestNats } from '../testing/nats.ts';
import { createBatchWriter } from './batchWriter.ts';
import { tableChecksums } from './checksum.ts';
import { closeReadModelDatabase, openReadModelDatabase } from './database.ts';
import { PROJECTIONS } from './index.ts';
import { createRunner } from './runner.ts';

// Each recorded history, and the tables its golden file holds (checkpoints are checked separately, so
// adding a projection does not rewrite a golden file).
const FIXTURES = [
  { name: 'catalog', tables: ['jobs', 'event_log'] },
  {
    name: 'fleet',
    tables: [
      'jobs',
      'event_log',
      'agents',
      'agent_counts',
      'executions',
      'exec_waves',
      'exec_targets',
      'exec_pcs',
      'results',
      'fleet',
      'schedules',
      'schedule_fires',
    ],
  },
] as const;
const dir = mkdtempSync(join(tmpdir(), 'kanade-golden-'));
let nats: TestNats;
let nc: NatsConnection;

const dumpTables = (sqlite: import('better-sqlite3').Database, tables: readonly string[]) =>
  Object.fromEntries(tables.map((t) => [t, sqlite.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]));

// Builds read models from the real stream with the real runner, into a fresh file.
const buildFromStream = async (file: string, batchSize: number, onWriterThread = false) => {
  const database = await openReadModelDatabase(file);
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
  });
  await runner.catchUp(undefined, onWriterThread ? { offThreadFrom: 1 } : {});
  const sums = tableChecksums(database.sqlite);
  await closeReadModelDatabase(database);
  return sums;
};

const streamFor = async (name: string) => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStream(await jetstreamManager(nc), eventsStreamConfig(), silentLogger);
  await publishFixture(jetstream(nc), loadFixture(name));
};

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(FIXTURES)('the recorded $name stream', ({ name, tables }) => {
  const commits = loadFixture(name);
  beforeAll(() => streamFor(name));
  afterAll(async () => {
    await nc?.drain();
    await nats?.dispose();
  });

  it('folds into the golden tables', async () => {
    const database = await openReadModelDatabase(join(dir, `${name}-direct.sqlite`));
    createBatchWriter(database.sqlite, PROJECTIONS).apply(fixtureEvents(commits), commits.at(-1)?.seq ?? 0);
    await expect(JSON.stringify(dumpTables(database.sqlite, tables), null, 2)).toMatchFileSnapshot(
      `../../fixtures/events/${name}.tables.json`,
    );
    const checkpoints = database.sqlite.prepare('SELECT DISTINCT seq FROM projection_checkpoints').pluck().all();
    expect(checkpoints).toEqual([commits.at(-1)?.seq]);
    const direct = tableChecksums(database.sqlite);
    await closeReadModelDatabase(database);
    expect(await buildFromStream(join(dir, `${name}-a.sqlite`), 10_000)).toEqual(direct);
  });

  it('rebuilds from JetStream to the same bytes every time, whatever the batch size', async () => {
    const first = await buildFromStream(join(dir, `${name}-b.sqlite`), 1);
    const second = await buildFromStream(join(dir, `${name}-c.sqlite`), 3);
    expect(second).toEqual(first);
  });

  it('rebuilds to the same bytes on a writer thread (a bulk load), whatever the batch size', async () => {
    const inThread = await buildFromStream(join(dir, `${name}-d.sqlite`), 10_000);
    expect(await buildFromStream(join(dir, `${name}-e.sqlite`), 10_000, true)).toEqual(inThread);
    expect(await buildFromStream(join(dir, `${name}-f.sqlite`), 2, true)).toEqual(inThread);
  });
});

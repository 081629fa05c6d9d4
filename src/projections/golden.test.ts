import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
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

const commits = loadFixture('catalog');
const dir = mkdtempSync(join(tmpdir(), 'kanade-golden-'));
let nats: TestNats;
let nc: NatsConnection;

// The golden file holds what the recorded history means (the catalog and the audit log); checkpoints are
// checked separately, so adding a projection does not rewrite the golden file.
const dumpTables = (sqlite: import('better-sqlite3').Database) =>
  Object.fromEntries(['jobs', 'event_log'].map((t) => [t, sqlite.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]));

// Builds read models from the real stream with the real runner, into a fresh file.
const buildFromStream = async (file: string, batchSize: number) => {
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
  });
  await runner.catchUp();
  const sums = tableChecksums(database.sqlite);
  await closeReadModelDatabase(database);
  return sums;
};

beforeAll(async () => {
  nats = await startTestNats();
  nc = await connect({ servers: nats.url });
  await ensureStream(await jetstreamManager(nc), eventsStreamConfig(), silentLogger);
  await publishFixture(jetstream(nc), commits);
});
afterAll(async () => {
  await nc?.drain();
  await nats?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('the recorded catalog stream', () => {
  it('folds into the golden tables', async () => {
    const database = await openReadModelDatabase(join(dir, 'direct.sqlite'));
    createBatchWriter(database.sqlite, PROJECTIONS).apply(fixtureEvents(commits), commits.at(-1)?.seq ?? 0);
    await expect(JSON.stringify(dumpTables(database.sqlite), null, 2)).toMatchFileSnapshot(
      '../../fixtures/events/catalog.tables.json',
    );
    const checkpoints = database.sqlite.prepare('SELECT DISTINCT seq FROM projection_checkpoints').pluck().all();
    expect(checkpoints).toEqual([commits.at(-1)?.seq]);
    const direct = tableChecksums(database.sqlite);
    await closeReadModelDatabase(database);
    expect(await buildFromStream(join(dir, 'a.sqlite'), 10_000)).toEqual(direct);
  });

  it('rebuilds from JetStream to the same bytes every time, whatever the batch size', async () => {
    const first = await buildFromStream(join(dir, 'b.sqlite'), 1);
    const second = await buildFromStream(join(dir, 'c.sqlite'), 3);
    expect(second).toEqual(first);
  });
});

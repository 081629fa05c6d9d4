import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import { recorded } from '../testing/projectionSpec.ts';
import { createBatchWriter } from './batchWriter.ts';
import { tableChecksums } from './checksum.ts';
import { openReadModelDatabase } from './database.ts';
import { PROJECTIONS } from './eventLogProjections.ts';
import { type Projection, put } from './projection.ts';

const manifest = (id: string, version: string) => ({
  id,
  version,
  execute: { shell: 'sh', script: `echo ${version}`, timeout: '30s' },
  tags: [],
});
const registered = (id: string, version: string) =>
  recorded(`job-${id}`, 'JobRegistered', { job_id: id, version, manifest: manifest(id, version) });
const updated = (id: string, version: string) =>
  recorded(`job-${id}`, 'JobUpdated', { job_id: id, version, manifest: manifest(id, version), changed: ['version'] });
const revoked = (id: string) => recorded(`job-${id}`, 'JobRevoked', { job_id: id, version: '?', reason: 'test' });
const deleted = (id: string) => recorded(`job-${id}`, 'JobDeleted', { job_id: id, version: '?' });

// A history whose rows are read, changed, deleted and created again across batches.
const history = (): RecordedEvent[][] => [
  [registered('a', '1'), registered('b', '1')],
  [updated('a', '2'), revoked('b')],
  [deleted('a'), updated('b', '2')],
  [registered('a', '3'), revoked('a')],
  [updated('b', '3')],
];

const writerFor = async (carryBytes?: number, projections = PROJECTIONS) => {
  const { sqlite } = await openReadModelDatabase(':memory:');
  const writer = createBatchWriter(sqlite, projections, carryBytes === undefined ? {} : { carryBytes });
  return { sqlite, writer, apply: (batch: RecordedEvent[]) => writer.apply(batch, batch.at(-1)?.seq ?? 0) };
};

describe('a batch writer that carries rows from one batch to the next', () => {
  it('gives the same tables as one that reads every row back from SQLite, whatever its bound', async () => {
    const batches = history();
    const sums = [];
    for (const carry of [undefined, 64 * 2 ** 20, 1]) {
      const b = await writerFor(carry);
      for (const batch of batches) b.apply(batch);
      sums.push(tableChecksums(b.sqlite));
    }
    expect(sums[1]).toEqual(sums[0]);
    expect(sums[2]).toEqual(sums[0]);
  });

  it('carries nothing from a batch that failed: the next one sees what SQLite holds', async () => {
    // A projection whose row SQLite refuses (no version: NOT NULL) fails the whole batch.
    const poison: Projection = {
      name: 'poison',
      version: 1,
      apply: (e) => (e.type === 'Poison' ? [put('jobs', { job_id: 'p' } as never)] : []),
    };
    const b = await writerFor(64 * 2 ** 20, [...PROJECTIONS, poison]);
    b.apply([registered('a', '1')]);
    expect(() => b.apply([updated('a', '2'), recorded('job-p', 'Poison', { job_id: 'p' })])).toThrow(/NOT NULL/);
    b.apply([revoked('a')]);
    const row = b.sqlite.prepare("SELECT version, revoked FROM jobs WHERE job_id = 'a'").get();
    expect(row).toEqual({ version: '1', revoked: 1 });
  });
});

import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import { createBatchWriter } from '../projections/batchWriter.ts';
import { openReadModelDatabase } from '../projections/database.ts';
import type { Projection } from '../projections/projection.ts';

let seq = 0;

/** An event as the runner would hand it to projections (test builder; positions increase). */
export const recorded = (
  stream: string,
  type: string,
  data: Record<string, unknown>,
  over: Partial<RecordedEvent> = {},
): RecordedEvent => ({
  type,
  data,
  schema: 1,
  seq: ++seq,
  index: 0,
  stream,
  commitId: `c${seq}`,
  actor: 'tester',
  at: `2026-11-22T10:00:${String(seq % 60).padStart(2, '0')}.000Z`,
  ...over,
});

/** Folds events through projections into a fresh in-memory read model, one batch per array. */
export const project = async (
  projections: readonly Projection[],
  ...batches: RecordedEvent[][]
): Promise<Database.Database> => {
  const { sqlite } = await openReadModelDatabase(':memory:');
  const writer = createBatchWriter(sqlite, projections);
  for (const batch of batches) writer.apply(batch, batch.at(-1)?.seq ?? 0);
  return sqlite;
};

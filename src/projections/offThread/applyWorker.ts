import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { applyOrSkip, reasonOf } from '../applyBatch.ts';
import { createBatchWriter } from '../batchWriter.ts';
import { PROJECTIONS } from '../eventLogProjections.ts';
import type { Projection } from '../projection.ts';
import { decodeMessage } from '../runner.ts';
import type { BatchReply, BatchRequest, OffThreadSet, WorkerInit } from './protocol.ts';

// The writer thread of a bulk load: decodes raw commits, folds them through the projections and
// writes SQLite, while the main thread keeps reading NATS. It has its own connection to the file.
const SETS: Record<OffThreadSet, readonly Projection[]> = { 'event-log': PROJECTIONS };

const init = workerData as WorkerInit;
const sqlite = new Database(init.file);
sqlite.pragma('busy_timeout = 5000');
// A generation being built is not read by anyone and not promoted before the main thread restores
// durability (synchronous = NORMAL and a checkpoint), so commits need no fsync here.
sqlite.pragma('synchronous = OFF');
sqlite.pragma('cache_size = -65536');
sqlite.pragma('temp_store = MEMORY');
// The only writer of these tables while the generation is built: rows a batch read and wrote stay in
// memory for the next (a job's row, read by each of its events) instead of being read back from SQLite.
const writer = createBatchWriter(sqlite, SETS[init.set], { carryBytes: 64 * 2 ** 20 });
const utf8 = new TextDecoder();
let applied: number | undefined;

// The batch's events, decoded as they are read: each commit's objects die young instead of a whole
// batch of them outliving several collections. Read again (for the commit-by-commit retry), it decodes again.
const decodeBatch = (batch: BatchRequest): { events: Iterable<RecordedEvent>; skip: Map<number, string> } => {
  const skip = new Map<number, string>();
  for (const [i, reason] of Object.entries(batch.skip)) skip.set(batch.seqs[Number(i)] as number, reason);
  // One decode for the whole batch; when every byte was ASCII, byte offsets are string offsets.
  const all = utf8.decode(batch.bodies);
  const ascii = all.length === batch.bodies.byteLength;
  function* events(): Generator<RecordedEvent> {
    let start = 0;
    for (let i = 0; i < batch.seqs.length; i++) {
      const end = batch.ends[i] as number;
      const decoded = batch.decoded[i];
      if (decoded !== undefined) yield* decoded;
      else {
        const from = start;
        const text = () => (ascii ? all.slice(from, end) : utf8.decode(batch.bodies.subarray(from, end)));
        yield* decodeMessage({ subject: batch.subjects[i] as string, seq: batch.seqs[i] as number, string: text });
      }
      start = end;
    }
  }
  return { events: { [Symbol.iterator]: events }, skip };
};

const applyBatch = (batch: BatchRequest): BatchReply => {
  if (applied !== undefined && batch.afterSeq !== applied)
    return { ok: false, error: `batch after ${batch.afterSeq} does not follow ${applied}` };
  try {
    const { events, skip } = decodeBatch(batch);
    const skipped = applyOrSkip(writer, events, batch.lastSeq, skip);
    applied = batch.lastSeq;
    return { ok: true, lastSeq: batch.lastSeq, skipped };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return { ok: false, error: reasonOf(error), ...(typeof code === 'string' ? { code } : {}) };
  }
};

parentPort?.on('message', (message: BatchRequest | 'close') => {
  if (message === 'close') {
    sqlite.close();
    parentPort?.close();
    return;
  }
  parentPort?.postMessage(applyBatch(message));
});

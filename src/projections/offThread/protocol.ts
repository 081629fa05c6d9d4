import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import type { SkippedCommit } from '../applyBatch.ts';

/** The projection sets a worker can run (functions cannot cross threads: the worker imports them by name). */
export type OffThreadSet = 'event-log';

/** What a writer thread is started with. */
export type WorkerInit = { file: string; set: OffThreadSet; batchSize: number };

/**
 * One batch, as raw messages: their bodies back to back in one transferred buffer (`ends[i]` is where
 * message i ends), so the thread that reads NATS copies bytes once and decodes nothing. A message that
 * had to be completed on that thread (output read back from the output stream) comes as its events,
 * in `decoded`, and one whose completion failed is in `skip` with the reason.
 */
export type BatchRequest = {
  /** The position the batch continues from: a writer refuses a batch that does not follow its last. */
  afterSeq: number;
  lastSeq: number;
  subjects: string[];
  seqs: number[];
  ends: Uint32Array;
  bodies: Uint8Array;
  decoded: Record<number, RecordedEvent[]>;
  skip: Record<number, string>;
};

/** A writer thread's answer to one batch. */
export type BatchReply =
  | { ok: true; lastSeq: number; skipped: SkippedCommit[] }
  | { ok: false; error: string; code?: string };

import type { RecordedEvent } from '../infra/eventStore/index.ts';
import { isBrokerUnavailable } from '../infra/nats/errors.ts';
import type { createBatchWriter } from './batchWriter.ts';

/** The batch writer of one read-model file. */
export type BatchWriter = ReturnType<typeof createBatchWriter>;

/** A commit that was skipped because no projection could write it, and why. */
export type SkippedCommit = { seq: number; error: string };

/** The events of each commit, in order (a batch holds several commits; a commit's events share a seq). */
export const commitsOf = (events: Iterable<RecordedEvent>): RecordedEvent[][] => {
  const commits: RecordedEvent[][] = [];
  for (const event of events) {
    const last = commits.at(-1);
    if (last !== undefined && last[0]?.seq === event.seq) last.push(event);
    else commits.push([event]);
  }
  return commits;
};

// Failures of the machine or the broker, not of one commit: retried from the checkpoint.
const INFRASTRUCTURE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|CORRUPT|NOTADB|PROTOCOL)/;

/** Whether a failure belongs to the disk or the broker (retry the batch) rather than to one commit (skip it). */
export const isInfrastructure = (error: unknown): boolean =>
  isBrokerUnavailable(error) || INFRASTRUCTURE_CODES.test(String((error as { code?: unknown } | null)?.code ?? ''));

/** The message of any thrown value. */
export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Applies a batch in one transaction. A batch that fails for one bad commit is applied again commit by
 * commit: the bad one is recorded and skipped, the others are applied. Infrastructure failures (the
 * disk) fail the batch, which the runner retries from the checkpoint. Commits listed in `skip` (their
 * output could not be read back, say) are recorded and skipped without being applied. `events` may be
 * read twice (a lazy decoder decodes again rather than holding a whole batch of decoded commits).
 */
export const applyOrSkip = (
  writer: BatchWriter,
  events: Iterable<RecordedEvent>,
  lastSeq: number,
  skip: ReadonlyMap<number, string> = new Map(),
): SkippedCommit[] => {
  if (skip.size === 0) {
    try {
      writer.apply(events, lastSeq);
      return [];
    } catch (error) {
      if (isInfrastructure(error)) throw error;
    }
  }
  const skipped: SkippedCommit[] = [];
  for (const commit of commitsOf(events)) {
    const seq = commit[0]?.seq as number;
    const known = skip.get(seq);
    try {
      if (known !== undefined) throw new Error(known);
      writer.apply(commit, seq);
    } catch (error) {
      if (isInfrastructure(error)) throw error;
      skipped.push({ seq, error: reasonOf(error) });
      writer.skip(commit, seq, reasonOf(error));
    }
  }
  writer.apply([], lastSeq);
  return skipped;
};

/**
 * Completes events before the projections see them (output kept in the output stream, say). A commit
 * whose completion fails for reasons of its own is returned, by seq, to be recorded and skipped;
 * failures of the broker fail the batch.
 */
export const enrichOrSkip = async (
  enrich: ((events: RecordedEvent[]) => Promise<void>) | undefined,
  events: RecordedEvent[],
): Promise<Map<number, string>> => {
  const skip = new Map<number, string>();
  if (enrich === undefined || events.length === 0) return skip;
  try {
    await enrich(events);
    return skip;
  } catch (error) {
    if (isInfrastructure(error)) throw error;
  }
  for (const commit of commitsOf(events)) {
    try {
      await enrich(commit);
    } catch (error) {
      if (isInfrastructure(error)) throw error;
      skip.set(commit[0]?.seq as number, reasonOf(error));
    }
  }
  return skip;
};

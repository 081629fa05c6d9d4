import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '../infra/log.ts';
import { enterBuildMode, openReadModelDatabase, type ReadModelDatabase } from './database.ts';
import type { Projection } from './projection.ts';
import {
  type CatchUpOptions,
  createRunner,
  type ProjectionRunner,
  type RunnerObserver,
  type RunnerOptions,
} from './runner.ts';

/** One stream a generation folds, with the projections it feeds. */
export type SourceSpec = Pick<RunnerOptions, 'stream' | 'projections' | 'decode' | 'enrich' | 'offThread'>;

/**
 * Where generations read from: the event log first (its position is what read-your-writes waits
 * for), then auxiliary streams such as heartbeats, each with its own runner and checkpoints.
 */
export type GenerationSource = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  log: Logger;
  batchSize?: number;
  sources: readonly [SourceSpec, ...SourceSpec[]];
  observe?: RunnerObserver;
};

/** One stream of a generation and the runner that folds it. */
export type GenerationPart = { stream: string; projections: readonly Projection[]; runner: ProjectionRunner };

/** One read-model file: the event-log runner, the runners of auxiliary streams, and which is which. */
export type Generation = {
  database: ReadModelDatabase;
  runner: ProjectionRunner;
  others: ProjectionRunner[];
  parts: GenerationPart[];
  /** Events per transaction of a bulk load (the source's `batchSize` when it sets one). */
  bulkBatchSize: number;
};

// Below this many messages a writer thread costs more to start than it saves.
const OFF_THREAD_BACKLOG = 5_000;
// Transactions of a bulk load: larger than live ones, so a row many events touch (a job's, an exec's)
// is written once per 50,000 events rather than once per 10,000. Bounded in bytes as well.
const BULK_BATCH = 50_000;

/** Every projection of a source set. */
export const projectionsOf = (source: GenerationSource): Projection[] =>
  source.sources.flatMap((s) => [...s.projections]);

/** Runners over an already open generation (a runner that was stopped cannot start again). */
export const resumeGeneration = (database: ReadModelDatabase, source: GenerationSource): Generation => {
  const parts = source.sources.map((spec) => ({
    stream: spec.stream,
    projections: spec.projections,
    runner: createRunner({ ...source, ...spec, sqlite: database.sqlite }),
  }));
  const [events, ...others] = parts.map((p) => p.runner);
  return { database, runner: events as ProjectionRunner, others, parts, bulkBatchSize: source.batchSize ?? BULK_BATCH };
};

/** Opens (or creates and migrates) a generation file with its runners, positioned at their checkpoints. */
export const openGeneration = async (file: string, source: GenerationSource): Promise<Generation> =>
  resumeGeneration(await openReadModelDatabase(file), source);

/** Follows every stream of the generation. */
export const followGeneration = (gen: Generation): void => {
  for (const runner of [gen.runner, ...gen.others]) void runner.follow();
};

/** Stops every runner of the generation. */
export const stopGeneration = async (gen: Generation): Promise<void> => {
  await Promise.all([gen.runner, ...gen.others].map((r) => r.stop()));
};

/** Catches every runner up to its stream's head; resolves with the event log's position. */
export const catchUpGeneration = async (
  gen: Generation,
  untilSeq?: number,
  options?: CatchUpOptions,
): Promise<number> => {
  await Promise.all(gen.others.map((r) => r.catchUp()));
  return gen.runner.catchUp(untilSeq, options);
};

/**
 * Replays the stream into a generation nobody reads yet, in bulk-load mode (secondary indexes built
 * at the end, no fsync per commit, decoding, projecting and writing on a writer thread while this one
 * reads NATS, when the backlog is large), up to the head or `untilSeq`. Returns the sequence reached.
 */
export const bulkCatchUp = async (gen: Generation, untilSeq?: number): Promise<number> => {
  const restore = enterBuildMode(gen.database.sqlite);
  try {
    return await catchUpGeneration(gen, untilSeq, {
      offThreadFrom: OFF_THREAD_BACKLOG,
      offThreadBatch: gen.bulkBatchSize,
    });
  } finally {
    restore();
  }
};

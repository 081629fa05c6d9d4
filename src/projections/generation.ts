import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '../infra/log.ts';
import { enterBuildMode, openReadModelDatabase, type ReadModelDatabase } from './database.ts';
import type { Projection } from './projection.ts';
import { createRunner, type ProjectionRunner } from './runner.ts';

/** Where generations read events from. */
export type GenerationSource = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  projections: readonly Projection[];
  log: Logger;
  batchSize?: number;
};

/** One read-model file and the runner that feeds it. */
export type Generation = { database: ReadModelDatabase; runner: ProjectionRunner };

/** Opens (or creates and migrates) a generation file with its runner, positioned at its checkpoint. */
export const openGeneration = async (file: string, source: GenerationSource): Promise<Generation> => {
  const database = await openReadModelDatabase(file);
  return { database, runner: createRunner({ ...source, sqlite: database.sqlite }) };
};

/** A fresh runner over an already open generation (a runner that was stopped cannot start again). */
export const resumeGeneration = (database: ReadModelDatabase, source: GenerationSource): Generation => ({
  database,
  runner: createRunner({ ...source, sqlite: database.sqlite }),
});

/**
 * Replays the stream into a generation nobody reads yet, in bulk-load mode (secondary indexes built
 * at the end, no fsync per commit), up to the head or `untilSeq`. Returns the sequence reached.
 */
export const bulkCatchUp = async (gen: Generation, untilSeq?: number): Promise<number> => {
  const restore = enterBuildMode(gen.database.sqlite);
  try {
    return await gen.runner.catchUp(untilSeq);
  } finally {
    restore();
  }
};

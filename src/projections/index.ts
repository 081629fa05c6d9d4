import { eventLogProjection } from './eventLog/eventLogProjection.ts';
import { jobsProjection } from './jobs/jobsProjection.ts';
import type { Projection } from './projection.ts';

/** Every projection the server runs, in the order they see each event. */
export const PROJECTIONS: readonly Projection[] = [jobsProjection, eventLogProjection];

export { createBatchWriter, readCheckpoints } from './batchWriter.ts';
export { tableChecksums } from './checksum.ts';
export type { ReadModelDatabase } from './database.ts';
export { closeReadModelDatabase, openReadModelDatabase } from './database.ts';
export type { EventFilter } from './eventLog/queries.ts';
export { listEvents } from './eventLog/queries.ts';
export { summarize } from './eventLog/summary.ts';
export type { Generation, GenerationSource } from './generation.ts';
export { bulkCatchUp, openGeneration } from './generation.ts';
export { currentGeneration } from './generations.ts';
export type { JobFilter, JobView } from './jobs/queries.ts';
export { getJob, listJobs } from './jobs/queries.ts';
export type { Projection, RowChange, RowReader } from './projection.ts';
export type { ReadModelsService, ReadModelsStatus } from './readModels.ts';
export { createReadModels, ReadModelsNotReady } from './readModels.ts';
export type { ProjectionRunner, RunnerStatus } from './runner.ts';
export { createRunner } from './runner.ts';
export type { ReadModels } from './schema.ts';

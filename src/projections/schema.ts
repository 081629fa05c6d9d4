/** A job in the catalog (deleted jobs have no row). Booleans are 0/1, times RFC 3339 UTC, lists JSON. */
export type JobsTable = {
  job_id: string;
  version: string;
  description: string | null;
  shell: string;
  tags: string;
  inventory: number;
  require_approval: number;
  manifest: string;
  revoked: number;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  registered_at: string;
  registered_by: string;
  updated_at: string;
  updated_by: string;
  seq: number;
};

/** The audit view: one row per event, newest last. Bodies stay in the stream (`GET /api/events/:seq`). */
export type EventLogTable = {
  seq: number;
  idx: number;
  at: string;
  actor: string;
  via: string | null;
  type: string;
  stream: string;
  correlation_id: string | null;
  summary: string;
};

/** Last stream sequence each projection has applied, written in the same transaction as its rows. */
export type ProjectionCheckpointsTable = { projection: string; version: number; seq: number };

/** An event a projection threw on: skipped by that projection, recorded here, counted in /health. */
export type ProjectionErrorsTable = { projection: string; seq: number; idx: number; type: string; error: string };

/** Every read-model table, for Kysely. */
export type ReadModels = {
  jobs: JobsTable;
  event_log: EventLogTable;
  projection_checkpoints: ProjectionCheckpointsTable;
  projection_errors: ProjectionErrorsTable;
};

/** Tables written by projections (checkpoints and errors belong to the runner). */
export type ProjectedTable = Exclude<keyof ReadModels, 'projection_checkpoints' | 'projection_errors'>;

/** Primary-key columns of every projected table: the runner keys its batch cache and upserts on them. */
export const PRIMARY_KEYS: { readonly [T in ProjectedTable]: readonly (keyof ReadModels[T] & string)[] } = {
  jobs: ['job_id'],
  event_log: ['seq', 'idx'],
};

import type { Kysely, Selectable } from 'kysely';
import type { JobManifest } from '../../domain/jobs/index.ts';
import type { JobsTable, ReadModels } from '../schema.ts';

/** A job as the API shows it. */
export type JobView = {
  id: string;
  version: string;
  description: string | null;
  shell: string;
  tags: string[];
  inventory: boolean;
  require_approval: boolean;
  /** How many people must approve a run (0: none). */
  approvers: number;
  revoked: boolean;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  registered_at: string;
  registered_by: string;
  updated_at: string;
  updated_by: string;
  seq: number;
};

/** Filters for listing jobs. */
export type JobFilter = { tag?: string; revoked?: boolean };

/** Every job in the catalog, by id. */
export const listJobs = async (db: Kysely<ReadModels>, filter: JobFilter = {}): Promise<JobView[]> => {
  let query = db.selectFrom('jobs').selectAll().orderBy('job_id');
  if (filter.revoked !== undefined) query = query.where('revoked', '=', filter.revoked ? 1 : 0);
  const rows = await query.execute();
  const jobs = rows.map(toView);
  return filter.tag === undefined ? jobs : jobs.filter((j) => j.tags.includes(filter.tag as string));
};

/** One job with its full manifest, or undefined. */
export const getJob = async (
  db: Kysely<ReadModels>,
  id: string,
): Promise<(JobView & { manifest: JobManifest }) | undefined> => {
  const row = await db.selectFrom('jobs').selectAll().where('job_id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : { ...toView(row), manifest: JSON.parse(row.manifest) as JobManifest };
};

const toView = (row: Selectable<JobsTable>): JobView => ({
  id: row.job_id,
  version: row.version,
  description: row.description,
  shell: row.shell,
  tags: JSON.parse(row.tags) as string[],
  inventory: row.inventory === 1,
  require_approval: row.require_approval > 0,
  approvers: row.require_approval,
  revoked: row.revoked === 1,
  revoked_at: row.revoked_at,
  revoked_by: row.revoked_by,
  revoke_reason: row.revoke_reason,
  registered_at: row.registered_at,
  registered_by: row.registered_by,
  updated_at: row.updated_at,
  updated_by: row.updated_by,
  seq: row.seq,
});

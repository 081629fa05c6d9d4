import type { Kysely, Selectable } from 'kysely';
import type { ScheduleManifest } from '../../domain/schedules/index.ts';
import type { ReadModels, ScheduleFiresTable, SchedulesTable } from '../schema.ts';

/** A schedule as the API shows it (next fire times are added by the API, which owns the clock). */
export type ScheduleView = Omit<Selectable<SchedulesTable>, 'manifest' | 'enabled'> & {
  enabled: boolean;
  manifest: ScheduleManifest;
};

/** One fired or skipped slot, with the outcome of the exec a fire requested. */
export type ScheduleFireView = Omit<Selectable<ScheduleFiresTable>, 'schedule_id' | 'catch_up'> & {
  catch_up: boolean;
  exec: {
    status: string;
    target_count: number;
    succeeded: number;
    failed: number;
    skipped: number;
  } | null;
};

const toView = ({ manifest, enabled, ...row }: Selectable<SchedulesTable>): ScheduleView => ({
  ...row,
  enabled: enabled === 1,
  manifest: JSON.parse(manifest) as ScheduleManifest,
});

/** Filters for listing schedules. */
export type ScheduleFilter = { enabled?: boolean; job_id?: string };

/** Every schedule, by id. */
export const listSchedules = async (db: Kysely<ReadModels>, f: ScheduleFilter = {}): Promise<ScheduleView[]> => {
  let query = db.selectFrom('schedules').selectAll().orderBy('schedule_id');
  if (f.enabled !== undefined) query = query.where('enabled', '=', f.enabled ? 1 : 0);
  if (f.job_id !== undefined) query = query.where('job_id', '=', f.job_id);
  return (await query.execute()).map(toView);
};

/** One schedule, or undefined. */
export const getSchedule = async (db: Kysely<ReadModels>, id: string): Promise<ScheduleView | undefined> => {
  const row = await db.selectFrom('schedules').selectAll().where('schedule_id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toView(row);
};

/** The last `limit` slots of a schedule, newest first, each fire with its exec's outcome so far. */
export const scheduleFires = async (db: Kysely<ReadModels>, id: string, limit: number): Promise<ScheduleFireView[]> => {
  const rows = await db
    .selectFrom('schedule_fires as f')
    .leftJoin('executions as e', 'e.exec_id', 'f.exec_id')
    .select([
      'f.slot',
      'f.kind',
      'f.exec_id',
      'f.catch_up',
      'f.to_slot',
      'f.count',
      'f.reason',
      'f.at',
      'f.seq',
      'e.status',
      'e.target_count',
      'e.succeeded',
      'e.failed',
      'e.skipped',
    ])
    .where('f.schedule_id', '=', id)
    .orderBy('f.slot', 'desc')
    .limit(limit)
    .execute();
  return rows.map(({ status, target_count, succeeded, failed, skipped, catch_up, ...fire }) => ({
    ...fire,
    catch_up: catch_up === 1,
    exec:
      status === null
        ? null
        : {
            status,
            target_count: target_count ?? 0,
            succeeded: succeeded ?? 0,
            failed: failed ?? 0,
            skipped: skipped ?? 0,
          },
  }));
};

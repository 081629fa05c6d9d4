import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Schedules, every slot they fired or skipped, and the index the once_per_* modes read successes from. */
export const schedules: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('schedules')
      .addColumn('schedule_id', 'text', (c) => c.primaryKey())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('cron', 'text', (c) => c.notNull())
      .addColumn('tz', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('manifest', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('active_since', 'text', (c) => c.notNull())
      .addColumn('last_slot', 'text')
      .addColumn('last_fired_slot', 'text')
      .addColumn('last_exec_id', 'text')
      .addColumn('fired', 'integer', (c) => c.notNull())
      .addColumn('skipped', 'integer', (c) => c.notNull())
      .addColumn('last_skip_reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('schedules_job').on('schedules').column('job_id').execute();
    await db.schema
      .createTable('schedule_fires')
      .addColumn('schedule_id', 'text', (c) => c.notNull())
      .addColumn('slot', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('exec_id', 'text')
      .addColumn('catch_up', 'integer', (c) => c.notNull())
      .addColumn('to_slot', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('schedule_fires_pk', ['schedule_id', 'slot'])
      .execute();
    await db.schema
      .createIndex('results_job_success')
      .on('results')
      .columns(['job_id', 'pc_id', 'finished_at'])
      .where(sql.ref('outcome'), '=', 'succeeded')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('results_job_success').execute();
    await db.schema.dropTable('schedule_fires').execute();
    await db.schema.dropTable('schedules').execute();
  },
};

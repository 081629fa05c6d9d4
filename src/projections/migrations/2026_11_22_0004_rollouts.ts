import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/** The emergency stop, wave progress and schedules. */
export const rollouts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('fleet')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('halted', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('kill_running', 'integer', (c) => c.notNull())
      .addColumn('changed_at', 'text', (c) => c.notNull())
      .addColumn('changed_by', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .alterTable('results')
      .addColumn('reaped', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('results_running')
      .on('results')
      .column('started_at')
      .where(sql.ref('finished_at'), 'is', null)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('results_running').execute();
    await db.schema.alterTable('results').dropColumn('reaped').execute();
    await db.schema.dropTable('fleet').execute();
  },
};

import type { Kysely } from 'kysely';
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
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('fleet').execute();
  },
};

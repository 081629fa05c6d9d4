import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Events a projection could not apply: recorded (deterministically) instead of stalling every read model. */
export const projectionErrors: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('projection_errors')
      .addColumn('projection', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('projection_errors_pk', ['projection', 'seq', 'idx'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('projection_errors').execute();
  },
};

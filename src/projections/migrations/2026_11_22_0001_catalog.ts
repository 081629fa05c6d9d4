import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen in time: a migration never imports application code and is never edited once released.
/** The job catalog, the audit log and the projection checkpoints. */
export const catalog: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('projection_checkpoints')
      .addColumn('projection', 'text', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('jobs')
      .addColumn('job_id', 'text', (c) => c.primaryKey())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('shell', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('inventory', 'integer', (c) => c.notNull())
      .addColumn('require_approval', 'integer', (c) => c.notNull())
      .addColumn('manifest', 'text', (c) => c.notNull())
      .addColumn('revoked', 'integer', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .addColumn('revoke_reason', 'text')
      .addColumn('registered_at', 'text', (c) => c.notNull())
      .addColumn('registered_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('event_log')
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('via', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('correlation_id', 'text')
      .addColumn('summary', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('event_log_pk', ['seq', 'idx'])
      .modifyEnd(sql`without rowid`)
      .execute();
    await db.schema.createIndex('event_log_type').on('event_log').columns(['type', 'seq']).execute();
    await db.schema.createIndex('event_log_actor').on('event_log').columns(['actor', 'seq']).execute();
    await db.schema.createIndex('event_log_stream').on('event_log').columns(['stream', 'seq']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('event_log').execute();
    await db.schema.dropTable('jobs').execute();
    await db.schema.dropTable('projection_checkpoints').execute();
  },
};

import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** What each PC is: its built-in facts, what its inventory jobs reported, and every change to either. */
export const facts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('agent_facts')
      .addColumn('pc_id', 'text', (c) => c.primaryKey())
      .addColumn('facts', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('agent_inventory')
      .addColumn('pc_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('data', 'text')
      .addColumn('skipped', 'text')
      .addColumn('result_id', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('agent_inventory_pk', ['pc_id', 'job_id'])
      .execute();
    await db.schema
      .createTable('agent_fact_changes')
      .addColumn('pc_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('from_value', 'text')
      .addColumn('to_value', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('agent_fact_changes_pk', ['pc_id', 'seq', 'path'])
      .execute();
    await db.schema
      .createIndex('agent_fact_changes_by_time')
      .on('agent_fact_changes')
      .columns(['pc_id', 'at'])
      .execute();
  },
};

import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * An exec's resolved PCs (JSON, tens of thousands for some) move from its `executions` row to a row of
 * their own, written once: the exec row's counters move with every batch of results, and SQLite
 * rewrote (and read back) the whole list with them. Filled by the executions projection (v7), so a
 * file from before is rebuilt; the copy keeps an older file readable until then.
 */
export const execPcs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('exec_pcs')
      .addColumn('exec_id', 'text', (c) => c.primaryKey())
      .addColumn('pcs', 'text', (c) => c.notNull())
      .execute();
    await sql`INSERT INTO exec_pcs (exec_id, pcs) SELECT exec_id, pcs FROM executions`.execute(db);
    await db.schema.alterTable('executions').dropColumn('pcs').execute();
  },
};

import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Counters an execution keeps so that reading it never counts its results: how many result rows it
 * has, and the unsuccessful outcomes its `failed` counter lumps together (timed out, killed, lost).
 * Filled by the executions projection (v6), so a file from before is rebuilt.
 */
export const outcomeCounters: Migration = {
  async up(db: Kysely<unknown>) {
    for (const column of ['result_count', 'timed_out', 'killed', 'lost'])
      await db.schema
        .alterTable('executions')
        .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
  },
};

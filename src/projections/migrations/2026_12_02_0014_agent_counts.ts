import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * How many agents each listing filter the API can answer without counting matches: all of them, by
 * enrollment standing, by group, by group and standing. Kept by the agents projection (v3), so a file
 * from before is rebuilt.
 */
export const agentCounts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('agent_counts')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('agents', 'integer', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
  },
};

import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Layered agent configuration: every config layer in force (global, group, pc), and what each agent
 * last said it runs with (its heartbeat's `config`; the heartbeats projection is v2, so a file from
 * before is rebuilt).
 */
export const configLayers: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('config_layers')
      .addColumn('layer_id', 'text', (c) => c.primaryKey())
      .addColumn('layer', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('manifest', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('agent_heartbeats').addColumn('config', 'text').execute();
  },
};

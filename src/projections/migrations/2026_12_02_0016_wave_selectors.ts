import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * A wave may be chosen by a selector instead of a group: `exec_waves` gets a `selector` column (the
 * selector's canonical text) and its `group_name` may be null (SQLite cannot relax a NOT NULL, so the
 * table is rebuilt, rows copied). Filled by the executions projection (v8), so a file from before is
 * rebuilt; the copy keeps an older file readable until then.
 */
export const waveSelectors: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('exec_waves_next')
      .addColumn('exec_id', 'text', (c) => c.notNull())
      .addColumn('wave', 'integer', (c) => c.notNull())
      .addColumn('group_name', 'text')
      .addColumn('selector', 'text')
      .addColumn('target_count', 'integer', (c) => c.notNull())
      .addColumn('due_at', 'text', (c) => c.notNull())
      .addColumn('deadline_at', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('gate_waived', 'integer', (c) => c.notNull())
      .addColumn('dispatched_at', 'text')
      .addColumn('halted_reason', 'text')
      .addColumn('started', 'integer', (c) => c.notNull())
      .addColumn('running', 'integer', (c) => c.notNull())
      .addColumn('succeeded', 'integer', (c) => c.notNull())
      .addColumn('failed', 'integer', (c) => c.notNull())
      .addColumn('skipped', 'integer', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('exec_waves_next_pk', ['exec_id', 'wave'])
      .execute();
    const columns = sql.raw(
      'exec_id, wave, group_name, target_count, due_at, deadline_at, status, gate_waived, dispatched_at, halted_reason, started, running, succeeded, failed, skipped, seq',
    );
    await sql`INSERT INTO exec_waves_next (${columns}) SELECT ${columns} FROM exec_waves`.execute(db);
    await db.schema.dropTable('exec_waves').execute();
    await db.schema.alterTable('exec_waves_next').renameTo('exec_waves').execute();
    await db.schema
      .createIndex('exec_waves_due')
      .on('exec_waves')
      .column('due_at')
      .where(sql.ref('status'), '=', 'scheduled')
      .execute();
  },
};

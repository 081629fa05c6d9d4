import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Rollouts in waves: per-wave progress, which wave each PC belongs to, halts and aborts. */
export const waves: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('executions').addColumn('rollout', 'text').execute();
    await db.schema
      .alterTable('executions')
      .addColumn('waves_left', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    for (const column of ['halted_at', 'halted_reason', 'aborted_at', 'aborted_by', 'abort_reason'])
      await db.schema.alterTable('executions').addColumn(column, 'text').execute();
    await db.schema
      .createTable('exec_waves')
      .addColumn('exec_id', 'text', (c) => c.notNull())
      .addColumn('wave', 'integer', (c) => c.notNull())
      .addColumn('group_name', 'text', (c) => c.notNull())
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
      .addPrimaryKeyConstraint('exec_waves_pk', ['exec_id', 'wave'])
      .execute();
    await db.schema
      .createIndex('exec_waves_due')
      .on('exec_waves')
      .column('due_at')
      .where(sql.ref('status'), '=', 'scheduled')
      .execute();
    await db.schema
      .createTable('exec_targets')
      .addColumn('exec_id', 'text', (c) => c.notNull())
      .addColumn('pc_id', 'text', (c) => c.notNull())
      .addColumn('wave', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('exec_targets_pk', ['exec_id', 'pc_id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('exec_targets').execute();
    await db.schema.dropTable('exec_waves').execute();
    for (const column of [
      'rollout',
      'waves_left',
      'halted_at',
      'halted_reason',
      'aborted_at',
      'aborted_by',
      'abort_reason',
    ])
      await db.schema.alterTable('executions').dropColumn(column).execute();
  },
};

import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Agents, their heartbeats, executions and results. */
export const fleet: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('agents')
      .addColumn('pc_id', 'text', (c) => c.primaryKey())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('os', 'text', (c) => c.notNull())
      .addColumn('arch', 'text', (c) => c.notNull())
      .addColumn('enrolled_version', 'text', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('enrolled_at', 'text', (c) => c.notNull())
      .addColumn('groups_set_at', 'text')
      .addColumn('groups_set_by', 'text')
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('agent_heartbeats')
      .addColumn('pc_id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text', (c) => c.notNull())
      .addColumn('agent_version', 'text', (c) => c.notNull())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('os', 'text', (c) => c.notNull())
      .addColumn('running', 'integer', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('agent_heartbeats_at').on('agent_heartbeats').column('at').execute();
    await db.schema
      .createTable('executions')
      .addColumn('exec_id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('pcs', 'text', (c) => c.notNull())
      .addColumn('target_count', 'integer', (c) => c.notNull())
      .addColumn('command', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('via', 'text')
      .addColumn('dispatched_at', 'text')
      .addColumn('subjects', 'text')
      .addColumn('kill_requested_at', 'text')
      .addColumn('killed_by', 'text')
      .addColumn('kill_reason', 'text')
      .addColumn('started', 'integer', (c) => c.notNull())
      .addColumn('running', 'integer', (c) => c.notNull())
      .addColumn('succeeded', 'integer', (c) => c.notNull())
      .addColumn('failed', 'integer', (c) => c.notNull())
      .addColumn('skipped', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('executions_job').on('executions').columns(['job_id', 'seq']).execute();
    await db.schema
      .createIndex('executions_undispatched')
      .on('executions')
      .column('seq')
      .where(sql.ref('dispatched_at'), 'is', null)
      .execute();
    await db.schema
      .createTable('results')
      .addColumn('result_id', 'text', (c) => c.primaryKey())
      .addColumn('exec_id', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('pc_id', 'text', (c) => c.notNull())
      .addColumn('exit_code', 'integer')
      .addColumn('outcome', 'text')
      .addColumn('reason', 'text')
      .addColumn('stdout', 'text', (c) => c.notNull())
      .addColumn('stderr', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('results_exec').on('results').columns(['exec_id', 'pc_id']).execute();
    await db.schema.createIndex('results_pc').on('results').columns(['pc_id', 'seq']).execute();
    await db.schema.createIndex('results_job').on('results').columns(['job_id', 'seq']).execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['results', 'executions', 'agent_heartbeats', 'agents'])
      await db.schema.dropTable(table).execute();
  },
};

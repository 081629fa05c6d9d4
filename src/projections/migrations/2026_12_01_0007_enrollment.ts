import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Enrollment with approval: each agent's standing, revoked keys, enrollment tokens. */
export const enrollment: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('agent_enrollment')
      .addColumn('pc_id', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text')
      .addColumn('pending_key', 'text')
      .addColumn('requested_at', 'text')
      .addColumn('requested_token', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('reason', 'text')
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('agent_enrollment_status').on('agent_enrollment').column('status').execute();
    await db.schema
      .createTable('revoked_agent_keys')
      .addColumn('public_key', 'text', (c) => c.primaryKey())
      .addColumn('pc_id', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('enrollment_tokens')
      .addColumn('token_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('auto_approve', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
  },
};

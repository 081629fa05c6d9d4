import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Users and their personal API tokens (never a password, hash or secret), and exec approvals. */
export const accounts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('user', 'text', (c) => c.primaryKey())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull())
      .addColumn('sessions_from', 'text', (c) => c.notNull())
      .addColumn('password_set_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('changed_at', 'text', (c) => c.notNull())
      .addColumn('changed_by', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('api_tokens')
      .addColumn('token_id', 'text', (c) => c.primaryKey())
      .addColumn('user', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('api_tokens_by_user').on('api_tokens').columns(['user', 'token_id']).execute();
    await db.schema
      .createTable('exec_approvals')
      .addColumn('exec_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('step', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addPrimaryKeyConstraint('exec_approvals_pk', ['exec_id', 'seq'])
      .execute();
    await db.schema.alterTable('executions').addColumn('approval', 'text').execute();
    for (const column of ['approvals_needed', 'approvals_given'])
      await db.schema
        .alterTable('executions')
        .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    await db.schema.alterTable('executions').addColumn('approval_expires_at', 'text').execute();
  },
};

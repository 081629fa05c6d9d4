import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Parts of exec requests too big for one message (ExecRequestPart), held until the request that
 * names them (ExecRequestedInParts) joins them; parts of an attempt that never got there stay.
 */
export const requestParts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('exec_request_parts')
      .addColumn('exec_id', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('exec_request_parts_pk', ['exec_id', 'request_id', 'part'])
      .execute();
  },
};

import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Which stream instance a generation was built from (`meta_streams`: a stream's creation time as
 * JetStream reports it). Not a read model: it describes the file, so table checksums leave it out.
 */
export const streamIdentity: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('meta_streams')
      .addColumn('stream', 'text', (c) => c.primaryKey())
      .addColumn('created', 'text', (c) => c.notNull())
      .execute();
  },
};

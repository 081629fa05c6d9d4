import Database from 'better-sqlite3';
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations } from './migrations/index.ts';
import type { ReadModels } from './schema.ts';

/** An open read-model file: the raw handle (for the runner's batches) and Kysely (for queries). */
export type ReadModelDatabase = { file: string; sqlite: Database.Database; db: Kysely<ReadModels> };

/** Opens (or creates) a read-model file, tunes it for batched writes and applies every migration. */
export const openReadModelDatabase = async (file: string): Promise<ReadModelDatabase> => {
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('cache_size = -65536');
  const db = new Kysely<ReadModels>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(String(error));
  }
  return { file, sqlite, db };
};

const STATEMENTS = 256;

// Kysely prepares every query it runs: the same few dozen queries (the dispatcher's after each batch,
// the API's) were compiled by SQLite again each time (8 % of the server under a burst of results). A
// prepared statement is reused by its SQL text; SQLite recompiles one by itself when the schema
// changes. Kysely runs one query at a time on the connection and never leaves one half-read (it
// does not stream here), so a statement is never shared while busy.
const withStatementCache = (sqlite: Database.Database): SqliteDatabase => {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENTS) cache.clear();
        cache.set(sql, statement);
      }
      return statement;
    },
  };
};

/**
 * Bulk-load mode for a generation that nobody reads yet: secondary indexes are dropped (and built
 * once, sorted, at the end) and commits skip fsync. A crash leaves a file that is never promoted.
 * Returns the function that restores indexes and durability.
 */
export const enterBuildMode = (sqlite: Database.Database): (() => void) => {
  const indexes = sqlite
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
    .all() as { name: string; sql: string }[];
  for (const { name } of indexes) sqlite.exec(`DROP INDEX "${name}"`);
  sqlite.pragma('synchronous = OFF');
  return () => {
    // Sorting for the indexes happens in memory rather than in temporary files.
    sqlite.pragma('temp_store = MEMORY');
    for (const { sql } of indexes) sqlite.exec(sql);
    sqlite.pragma('temp_store = DEFAULT');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
  };
};

/** Flushes the WAL into the main file and closes it, leaving no -wal/-shm files behind. */
export const closeReadModelDatabase = async ({ sqlite, db }: ReadModelDatabase): Promise<void> => {
  if (sqlite.open) sqlite.pragma('wal_checkpoint(TRUNCATE)');
  await db.destroy();
};

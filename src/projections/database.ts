import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
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
  const db = new Kysely<ReadModels>({ dialect: new SqliteDialect({ database: reusingStatements(sqlite) }) });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(String(error));
  }
  return { file, sqlite, db };
};

// Statements Kysely's queries keep prepared, by SQL text (queries bind their values, so a few dozen texts).
const STATEMENTS = 256;

/**
 * The connection as Kysely sees it, keeping each statement it prepares: Kysely prepares every query
 * anew, and preparing the agents listing (three tables joined) cost about as much as running it. A
 * statement still being iterated is busy; asked for again meanwhile, a fresh one is prepared.
 */
const reusingStatements = (sqlite: Database.Database): Pick<Database.Database, 'prepare' | 'close'> => {
  const statements = new Map<string, Database.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (source: string) => {
      const held = statements.get(source);
      if (held !== undefined && !held.busy) return held;
      const statement = sqlite.prepare(source);
      if (held === undefined) {
        if (statements.size >= STATEMENTS) statements.delete(statements.keys().next().value as string);
        statements.set(source, statement);
      }
      return statement;
    },
  } as Pick<Database.Database, 'prepare' | 'close'>;
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

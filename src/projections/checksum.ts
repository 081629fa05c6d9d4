import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

/**
 * SHA-256 of every read-model table's rows in primary-key order. Two builds from the same stream must
 * give the same sums. Kysely's own bookkeeping (kysely_migration*, which records wall-clock times),
 * the file's own metadata (meta_*: which stream instance it was built from) and SQLite's internals are
 * not read models and are left out.
 */
export const tableChecksums = (sqlite: Database.Database): Record<string, string> => {
  const tables = sqlite
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%' AND name NOT LIKE 'meta_%' ORDER BY name",
    )
    .pluck()
    .all() as string[];
  const sums: Record<string, string> = {};
  for (const table of tables) {
    const columns = sqlite.prepare(`PRAGMA table_info(${table})`).all() as { name: string; pk: number }[];
    const order = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const hash = createHash('sha256');
    const rows = sqlite
      .prepare(`SELECT * FROM ${table} ORDER BY ${(order.length > 0 ? order : ['rowid']).join(', ')}`)
      .raw();
    for (const row of rows.iterate()) hash.update(`${JSON.stringify(row)}\n`);
    sums[table] = hash.digest('hex');
  }
  return sums;
};

import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import type { KeyOf, Projection, RowChange, RowOf, RowReader } from './projection.ts';
import { PRIMARY_KEYS, type ProjectedTable } from './schema.ts';

type Row = Record<string, unknown>;
type TableStatements = { select: Database.Statement; upsert: Database.Statement; remove: Database.Statement };

/**
 * Applies batches of events through projections into SQLite. Within a batch, rows are cached so a
 * projection reads its own earlier changes; the batch's rows and every checkpoint are written in one
 * transaction, so a crash can neither skip nor double-apply an event.
 */
export const createBatchWriter = (sqlite: Database.Database, projections: readonly Projection[]) => {
  const statements = prepareStatements(sqlite);
  const saveCheckpoint = sqlite.prepare(
    'INSERT INTO projection_checkpoints (projection, version, seq) VALUES (?, ?, ?) ' +
      'ON CONFLICT(projection) DO UPDATE SET version = excluded.version, seq = excluded.seq',
  );

  const writeBatch = sqlite.transaction((events: readonly RecordedEvent[], lastSeq: number) => {
    const cache = new Map<ProjectedTable, Map<string, Row | null>>();
    const reader = cachedReader(cache, statements);
    for (const event of events) {
      for (const projection of projections) {
        for (const change of projection.apply(event, reader)) record(cache, change);
      }
    }
    flush(cache, statements);
    for (const p of projections) saveCheckpoint.run(p.name, p.version, lastSeq);
  });

  return {
    /** Applies `events` (possibly none) and moves every checkpoint to `lastSeq`. */
    apply: (events: readonly RecordedEvent[], lastSeq: number): void => {
      writeBatch.immediate(events, lastSeq);
    },
  };
};

/** The checkpoints stored in a read-model file. */
export const readCheckpoints = (sqlite: Database.Database): { projection: string; version: number; seq: number }[] =>
  sqlite.prepare('SELECT projection, version, seq FROM projection_checkpoints ORDER BY projection').all() as {
    projection: string;
    version: number;
    seq: number;
  }[];

const prepareStatements = (sqlite: Database.Database): Record<ProjectedTable, TableStatements> => {
  const out = {} as Record<ProjectedTable, TableStatements>;
  for (const table of Object.keys(PRIMARY_KEYS) as ProjectedTable[]) {
    const keys = PRIMARY_KEYS[table] as readonly string[];
    const columns = (sqlite.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
    const where = keys.map((k) => `${k} = @${k}`).join(' AND ');
    const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${c} = excluded.${c}`);
    out[table] = {
      select: sqlite.prepare(`SELECT * FROM ${table} WHERE ${where}`),
      upsert: sqlite.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')}) ` +
          `ON CONFLICT(${keys.join(', ')}) DO ${updates.length === 0 ? 'NOTHING' : `UPDATE SET ${updates.join(', ')}`}`,
      ),
      remove: sqlite.prepare(`DELETE FROM ${table} WHERE ${where}`),
    };
  }
  return out;
};

const keyString = (table: ProjectedTable, row: Row): string =>
  JSON.stringify((PRIMARY_KEYS[table] as readonly string[]).map((k) => row[k]));

const keyParams = (table: ProjectedTable, row: Row): Row =>
  Object.fromEntries((PRIMARY_KEYS[table] as readonly string[]).map((k) => [k, row[k]]));

const cachedReader = (
  cache: Map<ProjectedTable, Map<string, Row | null>>,
  statements: Record<ProjectedTable, TableStatements>,
): RowReader => ({
  get<T extends ProjectedTable>(table: T, key: KeyOf<T>): RowOf<T> | undefined {
    const cached = cache.get(table)?.get(keyString(table, key as Row));
    if (cached !== undefined) return (cached ?? undefined) as RowOf<T> | undefined;
    return statements[table].select.get(keyParams(table, key as Row)) as RowOf<T> | undefined;
  },
});

const record = (cache: Map<ProjectedTable, Map<string, Row | null>>, change: RowChange): void => {
  let rows = cache.get(change.table);
  if (rows === undefined) cache.set(change.table, (rows = new Map()));
  if (change.op === 'put') rows.set(keyString(change.table, change.row as Row), change.row as Row);
  else rows.set(keyString(change.table, change.key as Row), null);
};

const flush = (
  cache: Map<ProjectedTable, Map<string, Row | null>>,
  statements: Record<ProjectedTable, TableStatements>,
): void => {
  for (const [table, rows] of cache) {
    for (const [key, row] of rows) {
      if (row === null) statements[table].remove.run(keyParams(table, Object.fromEntries(keyEntries(table, key))));
      else statements[table].upsert.run(row);
    }
  }
};

const keyEntries = (table: ProjectedTable, key: string): [string, unknown][] => {
  const values = JSON.parse(key) as unknown[];
  return (PRIMARY_KEYS[table] as readonly string[]).map((k, i) => [k, values[i]]);
};

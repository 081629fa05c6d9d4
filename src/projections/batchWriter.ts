import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import type { KeyOf, Projection, RowChange, RowOf, RowReader } from './projection.ts';
import { PRIMARY_KEYS, type ProjectedTable } from './schema.ts';

type Row = Record<string, unknown>;

/** The name errors of whole commits are recorded under in `projection_errors`. */
export const RUNNER = 'runner';
type TableStatements = {
  columns: readonly string[];
  select: Database.Statement;
  upsert: Database.Statement;
  remove: Database.Statement;
};
/** A row as it stands after the batch so far: `row` null means deleted; `key` holds its primary key (or is the row). */
type Pending = { key: Row; row: Row | null };
type BatchCache = Map<ProjectedTable, Map<string, Pending>>;
/** Rows the batch looked for and SQLite did not hold (asked again, they are still not there). */
type Misses = Map<ProjectedTable, Set<string>>;

/**
 * Applies batches of events through projections into SQLite. Within a batch, rows are cached so a
 * projection reads its own earlier changes and each row is written once; the batch's rows and every
 * checkpoint go in one transaction, so a crash can neither skip nor double-apply an event.
 */
export const createBatchWriter = (sqlite: Database.Database, projections: readonly Projection[]) => {
  const statements = prepareStatements(sqlite);
  const saveCheckpoint = sqlite.prepare(
    'INSERT INTO projection_checkpoints (projection, version, seq) VALUES (?, ?, ?) ' +
      'ON CONFLICT(projection) DO UPDATE SET version = excluded.version, seq = excluded.seq',
  );

  const saveError = sqlite.prepare(
    'INSERT OR REPLACE INTO projection_errors (projection, seq, idx, type, error) VALUES (?, ?, ?, ?, ?)',
  );

  const writeBatch = sqlite.transaction((events: Iterable<RecordedEvent>, lastSeq: number) => {
    const cache: BatchCache = new Map();
    const reader = cachedReader(cache, new Map(), statements);
    for (const event of events) {
      for (const projection of projections) {
        // A projection that throws skips this event (its changes are not recorded) and the failure is
        // kept as a row: one bad event must not stop every read model, and a rebuild records the same.
        let changes: RowChange[];
        try {
          changes = projection.apply(event, reader);
        } catch (error) {
          saveError.run(
            projection.name,
            event.seq,
            event.index,
            event.type,
            error instanceof Error ? error.message : String(error),
          );
          continue;
        }
        for (const change of changes) record(cache, change);
      }
    }
    flush(cache, statements);
    for (const p of projections) saveCheckpoint.run(p.name, p.version, lastSeq);
  });

  const skipCommit = sqlite.transaction((events: readonly RecordedEvent[], seq: number, error: string) => {
    for (const event of events) saveError.run(RUNNER, event.seq, event.index, event.type, error);
    for (const p of projections) saveCheckpoint.run(p.name, p.version, seq);
  });

  return {
    /** Applies `events` (possibly none; read once, in order) and moves every checkpoint to `lastSeq`. */
    apply: (events: Iterable<RecordedEvent>, lastSeq: number): void => {
      writeBatch.immediate(events, lastSeq);
    },
    /**
     * Skips the events of one commit that could not be applied at all (their rows would not even
     * write), recording each as an error of the runner, and moves every checkpoint past it.
     */
    skip: (events: readonly RecordedEvent[], seq: number, error: string): void => {
      skipCommit.immediate(events, seq, error);
    },
  };
};

/** How many events each projection has failed on. */
export const countErrors = (sqlite: Database.Database): Map<string, number> =>
  new Map(
    (
      sqlite.prepare('SELECT projection, count(*) AS n FROM projection_errors GROUP BY projection').all() as {
        projection: string;
        n: number;
      }[]
    ).map((r) => [r.projection, r.n]),
  );

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
    const where = keys.map((k) => `${k} = ?`).join(' AND ');
    const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${c} = excluded.${c}`);
    // Positional parameters bind measurably faster than named ones on the replay path.
    out[table] = {
      columns,
      select: sqlite.prepare(`SELECT * FROM ${table} WHERE ${where}`),
      upsert: sqlite.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ` +
          `ON CONFLICT(${keys.join(', ')}) DO ${updates.length === 0 ? 'NOTHING' : `UPDATE SET ${updates.join(', ')}`}`,
      ),
      remove: sqlite.prepare(`DELETE FROM ${table} WHERE ${where}`),
    };
  }
  return out;
};

// Cache key of a row: its primary-key values (NUL cannot occur in them, so joining is unambiguous).
const cacheKey = (table: ProjectedTable, row: Row): string => {
  const keys = PRIMARY_KEYS[table] as readonly string[];
  if (keys.length === 1) return String(row[keys[0] as string]);
  if (keys.length === 2) return `${String(row[keys[0] as string])}\u0000${String(row[keys[1] as string])}`;
  return keys.map((k) => String(row[k])).join('\u0000');
};

// The primary-key values of a row, in the order of the statements' parameters.
const keyValues = (table: ProjectedTable, row: Row): unknown[] =>
  (PRIMARY_KEYS[table] as readonly string[]).map((k) => row[k]);

const cachedReader = (
  cache: BatchCache,
  misses: Misses,
  statements: Record<ProjectedTable, TableStatements>,
): RowReader => ({
  get<T extends ProjectedTable>(table: T, key: KeyOf<T>): RowOf<T> | undefined {
    const k = cacheKey(table, key as Row);
    const pending = cache.get(table)?.get(k);
    if (pending !== undefined) return (pending.row ?? undefined) as RowOf<T> | undefined;
    const missing = misses.get(table);
    if (missing?.has(k) === true) return undefined;
    const row = statements[table].select.get(keyValues(table, key as Row)) as RowOf<T> | undefined;
    if (row === undefined) {
      if (missing === undefined) misses.set(table, new Set([k]));
      else missing.add(k);
    }
    return row;
  },
});

const record = (cache: BatchCache, change: RowChange): void => {
  let rows = cache.get(change.table);
  if (rows === undefined) {
    rows = new Map();
    cache.set(change.table, rows);
  }
  if (change.op === 'put')
    rows.set(cacheKey(change.table, change.row as Row), { key: change.row as Row, row: change.row as Row });
  else rows.set(cacheKey(change.table, change.key as Row), { key: change.key as Row, row: null });
};

const flush = (cache: BatchCache, statements: Record<ProjectedTable, TableStatements>): void => {
  const values: unknown[] = [];
  for (const [table, rows] of cache) {
    const { columns, upsert, remove } = statements[table];
    for (const { key, row } of rows.values()) {
      if (row === null) {
        remove.run(keyValues(table, key));
        continue;
      }
      for (let i = 0; i < columns.length; i++) values[i] = row[columns[i] as string];
      values.length = columns.length;
      upsert.run(values);
    }
  }
};

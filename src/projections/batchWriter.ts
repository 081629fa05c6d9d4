import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import type { KeyOf, Projection, RowChange, RowOf, RowReader } from './projection.ts';
import { PRIMARY_KEYS, type ProjectedTable, WRITE_ONLY_TABLES } from './schema.ts';

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
/** A batch's changes to the tables projections read, by key (write-only tables are written as they come). */
type Batch = { rows: BatchCache };
/** Rows the batch looked for and SQLite did not hold (asked again, they are still not there). */
type Misses = Map<ProjectedTable, Set<string>>;

/** How a batch writer may spare itself reads. */
export type BatchWriterOptions = {
  /**
   * Rows of the tables a batch read, kept after it commits (up to about this many bytes of values) so
   * the next batch reads them from memory, not SQLite. Only for the sole writer of its projections'
   * tables (a bulk load's writer thread): a row another connection changed would be read stale. A
   * batch that fails forgets them all (its transaction rolled back: what it cached is not in SQLite).
   */
  carryBytes?: number;
};

/**
 * Applies batches of events through projections into SQLite. Within a batch, rows are cached so a
 * projection reads its own earlier changes and each row is written once; the batch's rows and every
 * checkpoint go in one transaction, so a crash can neither skip nor double-apply an event.
 */
export const createBatchWriter = (
  sqlite: Database.Database,
  projections: readonly Projection[],
  options: BatchWriterOptions = {},
) => {
  const statements = prepareStatements(sqlite);
  const saveCheckpoint = sqlite.prepare(
    'INSERT INTO projection_checkpoints (projection, version, seq) VALUES (?, ?, ?) ' +
      'ON CONFLICT(projection) DO UPDATE SET version = excluded.version, seq = excluded.seq',
  );

  const saveError = sqlite.prepare(
    'INSERT OR REPLACE INTO projection_errors (projection, seq, idx, type, error) VALUES (?, ?, ?, ?, ?)',
  );

  const carried = createCarried(options.carryBytes ?? 0);
  const writeBatch = sqlite.transaction((batch: Batch, events: Iterable<RecordedEvent>, lastSeq: number) => {
    const reader = cachedReader(batch.rows, carried, statements);
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
        for (const change of changes) record(batch, change, statements);
      }
    }
    flush(batch, statements);
    for (const p of projections) saveCheckpoint.run(p.name, p.version, lastSeq);
  });

  const skipCommit = sqlite.transaction((events: readonly RecordedEvent[], seq: number, error: string) => {
    for (const event of events) saveError.run(RUNNER, event.seq, event.index, event.type, error);
    for (const p of projections) saveCheckpoint.run(p.name, p.version, seq);
  });

  return {
    /** Applies `events` (possibly none; read once, in order) and moves every checkpoint to `lastSeq`. */
    apply: (events: Iterable<RecordedEvent>, lastSeq: number): void => {
      const batch: Batch = { rows: new Map() };
      try {
        writeBatch.immediate(batch, events, lastSeq);
      } catch (error) {
        carried.forget();
        throw error;
      }
      carried.keep(batch.rows);
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

type Carried = ReturnType<typeof createCarried>;

// About what a carried row holds: its strings by their length, any other value as 8.
const entryBytes = (key: string, pending: Pending): number => {
  let bytes = key.length;
  const row = pending.row ?? {};
  for (const k in row) {
    const v = row[k];
    bytes += typeof v === 'string' ? v.length : 8;
  }
  return bytes;
};

// What earlier committed batches wrote to the tables they read: each row as SQLite now holds it (null:
// deleted), and the keys SQLite was asked for and did not hold. Bounded: past `limit` bytes (about:
// strings by their length, anything else as 8) it starts afresh. With no limit it carries nothing,
// and the misses are the current batch's only.
const createCarried = (limit: number) => {
  let rows: BatchCache = new Map();
  let misses: Misses = new Map();
  let size = 0;
  const forget = () => {
    rows = new Map();
    misses = new Map();
    size = 0;
  };
  return {
    /** The row carried for a key: a Pending (row null: deleted), `missing` when SQLite lacks it, or undefined. */
    get(table: ProjectedTable, k: string): Pending | 'missing' | undefined {
      const pending = rows.get(table)?.get(k);
      if (pending !== undefined) return pending;
      const missing = misses.get(table);
      if (missing === undefined) misses.set(table, new Set()); // the table is read: carry what is written to it
      return missing?.has(k) === true ? 'missing' : undefined;
    },
    missed(table: ProjectedTable, k: string): void {
      misses.get(table)?.add(k);
      size += k.length;
    },
    /** After a batch committed: what it wrote to the tables that were read joins what is carried. */
    keep(cache: BatchCache): void {
      if (limit === 0) {
        forget();
        return;
      }
      for (const [table, changed] of cache) {
        const missing = misses.get(table);
        if (missing === undefined) continue; // never read: a table only written to (the event log)
        const held = rows.get(table) ?? new Map<string, Pending>();
        rows.set(table, held);
        for (const [k, pending] of changed) {
          const before = held.get(k);
          if (before !== undefined) size -= entryBytes(k, before);
          size += entryBytes(k, pending);
          held.set(k, pending);
          missing.delete(k);
        }
      }
      if (size > limit) forget();
    },
    /** A batch failed: its transaction rolled back, so nothing it cached can be trusted. */
    forget,
  };
};

const cachedReader = (
  cache: BatchCache,
  carried: Carried,
  statements: Record<ProjectedTable, TableStatements>,
): RowReader => ({
  get<T extends ProjectedTable>(table: T, key: KeyOf<T>): RowOf<T> | undefined {
    if (WRITE_ONLY_TABLES.has(table)) throw new Error(`projections write ${table} but never read it`);
    const k = cacheKey(table, key as Row);
    const pending = cache.get(table)?.get(k) ?? carried.get(table, k);
    if (pending === 'missing') return undefined;
    if (pending !== undefined) return (pending.row ?? undefined) as RowOf<T> | undefined;
    const row = statements[table].select.get(keyValues(table, key as Row)) as RowOf<T> | undefined;
    if (row === undefined) carried.missed(table, k);
    return row;
  },
});

const record = (batch: Batch, change: RowChange, statements: Record<ProjectedTable, TableStatements>): void => {
  const key = (change.op === 'put' ? change.row : change.key) as Row;
  const row = change.op === 'put' ? (change.row as Row) : null;
  if (WRITE_ONLY_TABLES.has(change.table)) {
    // Nobody reads these rows back: written now, in order, inside the batch's transaction, so a batch
    // does not hold tens of thousands of them alive until its flush.
    writeRow(statements[change.table], change.table, key, row);
    return;
  }
  let rows = batch.rows.get(change.table);
  if (rows === undefined) {
    rows = new Map();
    batch.rows.set(change.table, rows);
  }
  rows.set(cacheKey(change.table, key), { key, row });
};

// One parameter array for every upsert: better-sqlite3 copies the values when it binds them.
const values: unknown[] = [];

const writeRow = (statements: TableStatements, table: ProjectedTable, key: Row, row: Row | null): void => {
  if (row === null) {
    statements.remove.run(keyValues(table, key));
    return;
  }
  const { columns } = statements;
  for (let i = 0; i < columns.length; i++) values[i] = row[columns[i] as string];
  values.length = columns.length;
  statements.upsert.run(values);
};

const flush = (batch: Batch, statements: Record<ProjectedTable, TableStatements>): void => {
  for (const [table, rows] of batch.rows)
    for (const { key, row } of rows.values()) writeRow(statements[table], table, key, row);
};

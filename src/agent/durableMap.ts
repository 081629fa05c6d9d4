import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFileDurably } from './fsyncFile.ts';

// One line per change: `{"k":key,"v":value}` sets, `{"k":key}` deletes.
type Line = { k: string; v?: unknown };

/** Past this many bytes, the log is rewritten with only what it holds now (and again at twice the size after that). */
const COMPACT_BYTES = 256 * 1024;

/**
 * A map of string keys to JSON values, held in memory and kept durably in one append-only file: a set or a delete is one
 * line, written with one `write` (and an `fsync` when asked), instead of a file per value (open,
 * write, fsync, close, rename, a directory fsync, and an unlink to forget it: about ten system calls
 * where this costs one or two, which with thousands of agents in one process was a third of its time).
 *
 * A crash can only cut the last line short: a line without its newline is dropped when the map is
 * opened (it was never acknowledged to the caller). A line that is not a readable change is handed to
 * `unreadable` with its text and skipped, so one damaged record never hides the others. The file is
 * emptied in place once it passes 256 KiB with nothing left in it, and rewritten with the live values
 * alone (temp file, fsync, rename, directory fsync) when it passes 256 KiB and twice what it was after
 * the last rewrite — so it stays about as small as what it holds, and small files are left alone.
 */
export const openDurableMap = <T>(file: string, options: { unreadable?: (text: string) => void } = {}) => {
  const values = new Map<string, T>();
  const kept = existsSync(file) ? readLines(file, values, options.unreadable) : 0;
  let fd = openSync(file, 'a');
  // A torn last line is cut off, so the next append starts on a line of its own.
  if (fstatSync(fd).size !== kept) ftruncateSync(fd, kept);
  let size = kept;
  let compactAt = Math.max(COMPACT_BYTES, 2 * size);

  let closed = false;
  const append = (line: Line, sync: boolean) => {
    if (closed) throw new Error(`${file} is closed (the agent stopped)`);
    const text = `${JSON.stringify(line)}\n`;
    size += writeSync(fd, text);
    if (sync) fsyncSync(fd);
  };
  // Only after a delete: what is left is never more than what was there. A small file is left as it is.
  const compact = () => {
    if (size < COMPACT_BYTES) return;
    if (values.size === 0) {
      ftruncateSync(fd, 0); // nothing live: whatever a crash leaves of the old lines ends in deletes
      fsyncSync(fd);
      size = 0;
    } else if (size >= compactAt) rewrite();
  };
  const rewrite = () => {
    const text = [...values].map(([k, v]) => `${JSON.stringify({ k, v })}\n`).join('');
    closeSync(fd); // before the rename over it: Windows refuses to replace a file some handles hold open
    try {
      writeFileDurably(file, text);
    } finally {
      fd = openSync(file, 'a'); // the old file when the rewrite failed: nothing was lost, it stays as long
    }
    size = Buffer.byteLength(text);
    compactAt = Math.max(COMPACT_BYTES, 2 * size);
  };

  return {
    /** The value under `key`, if any. */
    get: (key: string): T | undefined => values.get(key),
    has: (key: string): boolean => values.has(key),
    /** Every key with its value, in the order they were first set. */
    entries: (): IterableIterator<[string, T]> => values.entries(),
    keys: (): IterableIterator<string> => values.keys(),
    get size(): number {
      return values.size;
    },
    /** Sets `key` durably: on disk (fsynced) when this returns. */
    set: (key: string, value: T): void => {
      if (value === undefined) throw new Error(`${file}: cannot keep undefined under ${key}`); // would read back as a delete
      append({ k: key, v: value }, true);
      values.set(key, value);
    },
    /**
     * Forgets `key`. With `sync: false` the delete may be lost in a crash and the value come back —
     * for values whose second handling is harmless (a publish made idempotent by its message id).
     */
    delete: (key: string, { sync }: { sync: boolean }): void => {
      if (!values.has(key)) return;
      append({ k: key }, sync); // first, as `set` does: a failed write leaves memory as the file says
      values.delete(key);
      compact();
    },
    /** Bytes in the file now (for tests and diagnostics). */
    bytes: (): number => size,
    close: (): void => {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
};

/** A durable map of an agent (see `openDurableMap`). */
export type DurableMap<T> = ReturnType<typeof openDurableMap<T>>;

/** What a durable map's file holds now, read without opening it for writing (another process may own it). */
export const readDurableMap = <T>(file: string): Map<string, T> => {
  const values = new Map<string, T>();
  if (existsSync(file)) readLines(file, values);
  return values;
};

// Folds the file's complete lines into `values`; returns the byte length of those lines.
const readLines = <T>(file: string, values: Map<string, T>, unreadable?: (text: string) => void): number => {
  const bytes = readFileSync(file);
  const end = bytes.lastIndexOf(0x0a) + 1;
  for (const text of bytes.subarray(0, end).toString('utf8').split('\n')) {
    if (text === '') continue;
    const line = parseLine(text);
    if (line === undefined) unreadable?.(text);
    else if ('v' in line) values.set(line.k, line.v as T);
    else values.delete(line.k);
  }
  return end;
};

const parseLine = (text: string): Line | undefined => {
  try {
    const line: unknown = JSON.parse(text);
    if (typeof line !== 'object' || line === null || typeof (line as Line).k !== 'string') return undefined;
    return line as Line;
  } catch {
    return undefined;
  }
};

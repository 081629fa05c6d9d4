import type { Writable } from 'node:stream';

/** Where a command writes: data to `out`, diagnostics to `err`. */
export type Io = { out: Writable; err: Writable };

/** Writes one line. */
export const line = (stream: Writable, text = ''): void => {
  stream.write(`${text}\n`);
};

/** Writes a value as pretty JSON (for --json). */
export const writeJson = (io: Io, value: unknown): void => line(io.out, JSON.stringify(value, null, 2));

/** Renders rows as left-aligned columns with a header. */
export const table = (headers: readonly string[], rows: readonly (readonly unknown[])[]): string => {
  const cells = [headers, ...rows.map((r) => r.map((v) => (v === null || v === undefined ? '-' : String(v))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

import type { RowOf } from '../projection.ts';

type Exec = RowOf<'executions'>;

/** The counters an exec and each of its waves keep. */
export type Counters = Pick<Exec, 'started' | 'running' | 'succeeded' | 'failed' | 'skipped'>;
/** The counters only an exec keeps: its result rows and the outcomes `failed` lumps together. */
type ExecCounters = Pick<Exec, 'result_count' | 'timed_out' | 'killed' | 'lost'>;
/** How a result's change moves the counters. */
export type Delta = Partial<Counters & ExecCounters>;

type StatusInput = Pick<
  Exec,
  | 'approval'
  | 'kill_requested_at'
  | 'aborted_at'
  | 'halted_at'
  | 'waves_left'
  | 'target_count'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'started'
>;

/** The status an exec's state and counters imply; a kill request is final, then a refused approval, then an abort. */
export const statusOf = (e: StatusInput): string => {
  if (e.kill_requested_at !== null) return 'killed';
  if (e.approval === 'rejected' || e.approval === 'expired') return e.approval;
  if (e.approval === 'pending') return 'awaiting_approval';
  if (e.aborted_at !== null) return 'aborted';
  if (e.halted_at !== null) return 'halted';
  if (e.waves_left === 0 && e.succeeded + e.failed + e.skipped >= e.target_count) return 'completed';
  return e.started > 0 || e.succeeded + e.failed + e.skipped > 0 ? 'running' : 'pending';
};

/** The row with the status its counters imply. */
export const withStatus = (e: Exec): Exec => ({ ...e, status: statusOf(e) });

/** A wave's (or an exec's) counters moved by `delta`. */
export const add = <R extends Counters>(row: R, delta: Delta): R => ({
  ...row,
  started: row.started + (delta.started ?? 0),
  running: row.running + (delta.running ?? 0),
  succeeded: row.succeeded + (delta.succeeded ?? 0),
  failed: row.failed + (delta.failed ?? 0),
  skipped: row.skipped + (delta.skipped ?? 0),
});

/** An exec's counters, its own included, moved by `delta`. */
export const addToExec = (row: Exec, delta: Delta): Exec => ({
  ...add(row, delta),
  result_count: row.result_count + (delta.result_count ?? 0),
  timed_out: row.timed_out + (delta.timed_out ?? 0),
  killed: row.killed + (delta.killed ?? 0),
  lost: row.lost + (delta.lost ?? 0),
});

/** Counters at the start. */
export const ZERO: Counters = { started: 0, running: 0, succeeded: 0, failed: 0, skipped: 0 };

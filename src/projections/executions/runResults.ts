import { EXIT, type RunEvent, type RunFinished, type RunReaped, type RunStarted } from '../../domain/runs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { put, type RowChange, type RowOf, type RowReader } from '../projection.ts';
import { add, addToExec, type Delta, withStatus } from './counters.ts';

type Result = RowOf<'results'>;

/** A run's event: its result row, and the counters of its exec and wave when the row changes state. */
export const applyRunEvent = (event: RecordedEvent & (RunEvent | RunReaped), rows: RowReader): RowChange[] => {
  const existing = rows.get('results', { result_id: event.data.result_id });
  // Final results stay final, except a reaped one, which a real result replaces.
  const replacingReaped = existing?.reaped === 1 && event.type === 'RunFinished';
  if (existing?.finished_at != null && !replacingReaped) return [];
  const change = resultChange(event, existing);
  if (change === undefined) return [];
  return [put('results', change.row), ...countersChange(rows, event.data, change.delta)];
};

const resultChange = (
  event: RecordedEvent & (RunEvent | RunReaped),
  existing: Result | undefined,
): { row: Result; delta: Delta } | undefined => {
  switch (event.type) {
    case 'RunStarted':
      return existing === undefined ? started(event) : undefined;
    case 'RunReaped':
      return existing === undefined ? undefined : reaped(event, existing);
    default:
      return finished(event, existing);
  }
};

// Moves the counters of the exec and of the wave the PC runs in.
const countersChange = (rows: RowReader, d: { exec_id: string; pc_id: string }, delta: Delta): RowChange[] => {
  const exec = rows.get('executions', { exec_id: d.exec_id });
  if (exec === undefined) return [];
  const changes = [put('executions', withStatus(addToExec(exec, delta)))];
  const target = exec.rollout === null ? undefined : rows.get('exec_targets', { exec_id: d.exec_id, pc_id: d.pc_id });
  const wave = target === undefined ? undefined : rows.get('exec_waves', { exec_id: d.exec_id, wave: target.wave });
  if (wave !== undefined) changes.push(put('exec_waves', add(wave, delta)));
  return changes;
};

const bucketOf = (outcome: string) =>
  outcome === 'succeeded' ? 'succeeded' : outcome === 'skipped' ? 'skipped' : 'failed';

const started = (event: RecordedEvent & RunStarted): { row: Result; delta: Delta } => ({
  row: {
    ...identity(event.data),
    exit_code: null,
    outcome: null,
    reason: null,
    stdout: '',
    stderr: '',
    started_at: event.data.started_at,
    finished_at: null,
    reaped: 0,
    seq: event.seq,
  },
  delta: { started: 1, running: 1, result_count: 1 },
});

const reaped = (event: RecordedEvent & RunReaped, existing: Result): { row: Result; delta: Delta } => ({
  row: {
    ...existing,
    exit_code: EXIT.none,
    outcome: 'lost',
    reason: event.data.reason,
    finished_at: event.at,
    reaped: 1,
    seq: event.seq,
  },
  delta: { running: -1, failed: 1, lost: 1 },
});

const finished = (event: RecordedEvent & RunFinished, existing: Result | undefined): { row: Result; delta: Delta } => {
  const d = event.data;
  const row: Result = {
    ...identity(d),
    exit_code: d.exit_code,
    outcome: d.outcome,
    reason: d.reason ?? null,
    stdout: d.stdout,
    stderr: d.stderr,
    started_at: existing?.started_at ?? d.started_at,
    finished_at: d.finished_at,
    seq: event.seq,
    reaped: 0,
  };
  const bucket = bucketOf(d.outcome);
  // A reaped run was already counted as failed, lost and no longer running.
  const base: Delta =
    existing?.reaped === 1 ? { failed: -1, lost: -1 } : existing === undefined ? { result_count: 1 } : { running: -1 };
  const delta: Delta = { ...base, [bucket]: (base[bucket] ?? 0) + 1 };
  const word = LUMPED_OUTCOMES.get(d.outcome);
  if (word !== undefined) delta[word] = (delta[word] ?? 0) + 1;
  return { row, delta };
};

// The unsuccessful outcomes that `failed` counts together, each with a counter of its own.
const LUMPED_OUTCOMES = new Map<string, 'timed_out' | 'killed' | 'lost'>([
  ['timed_out', 'timed_out'],
  ['killed', 'killed'],
  ['lost', 'lost'],
]);

const identity = (d: RunStarted['data'] | RunFinished['data']) => ({
  result_id: d.result_id,
  exec_id: d.exec_id,
  request_id: d.request_id,
  job_id: d.job_id,
  version: d.version,
  pc_id: d.pc_id,
});

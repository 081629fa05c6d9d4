import type { ExecEvent, ExecRequested } from '../../domain/execs/index.ts';
import { EXIT, type RunEvent, type RunFinished, type RunReaped, type RunStarted } from '../../domain/runs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { type Projection, put, type RowChange, type RowOf, type RowReader } from '../projection.ts';

type Exec = RowOf<'executions'>;
type Result = RowOf<'results'>;

/**
 * Executions with their counters, and one result row per (command, pc). Counters move only when a
 * result row changes state, so a duplicated RunStarted or RunFinished never counts twice.
 */
export const executionsProjection: Projection = {
  name: 'executions',
  version: 2,
  apply: (event, rows) => {
    if (event.stream.startsWith('exec-')) return applyExecEvent(event as RecordedEvent & ExecEvent, rows);
    if (event.stream.startsWith('run-')) return applyRunEvent(event as RecordedEvent & RunEvent, rows);
    return [];
  },
};

/** The status an exec's counters imply; a kill request is final. */
export const statusOf = (
  e: Pick<Exec, 'kill_requested_at' | 'target_count' | 'succeeded' | 'failed' | 'skipped' | 'started'>,
): string => {
  if (e.kill_requested_at !== null) return 'killed';
  if (e.succeeded + e.failed + e.skipped >= e.target_count) return 'completed';
  return e.started > 0 || e.succeeded + e.failed + e.skipped > 0 ? 'running' : 'pending';
};

const withStatus = (e: Exec): Exec => ({ ...e, status: statusOf(e) });

const applyExecEvent = (event: RecordedEvent & ExecEvent, rows: RowReader): RowChange[] => {
  if (event.type === 'ExecRequested') return [put('executions', requested(event.data, event))];
  const exec = rows.get('executions', { exec_id: event.data.exec_id });
  if (exec === undefined) return [];
  switch (event.type) {
    case 'ExecDispatched':
      return [
        put('executions', {
          ...exec,
          dispatched_at: event.at,
          subjects: JSON.stringify(event.data.subjects),
          seq: event.seq,
        }),
      ];
    case 'KillRequested':
      if (exec.status === 'completed') return []; // nothing left to kill: the history stays "completed"
      return [
        put(
          'executions',
          withStatus({
            ...exec,
            kill_requested_at: event.at,
            killed_by: event.actor,
            kill_reason: event.data.reason ?? null,
            seq: event.seq,
          }),
        ),
      ];
    default:
      return [];
  }
};

const requested = (d: ExecRequested['data'], event: RecordedEvent): Exec =>
  withStatus({
    exec_id: d.exec_id,
    kind: d.kind,
    job_id: d.job_id,
    version: d.version,
    request_id: d.request_id,
    target: JSON.stringify(d.target),
    pcs: JSON.stringify(d.pcs),
    target_count: d.target_count,
    command: JSON.stringify(d.command),
    requested_at: event.at,
    requested_by: event.actor,
    via: event.via ?? null,
    dispatched_at: null,
    subjects: null,
    kill_requested_at: null,
    killed_by: null,
    kill_reason: null,
    started: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    status: 'pending',
    seq: event.seq,
  });

const applyRunEvent = (event: RecordedEvent & (RunEvent | RunReaped), rows: RowReader): RowChange[] => {
  const existing = rows.get('results', { result_id: event.data.result_id });
  // Final results stay final, except a reaped one, which a real result replaces.
  const replacingReaped = existing?.reaped === 1 && event.type === 'RunFinished';
  if (existing?.finished_at != null && !replacingReaped) return [];
  const exec = rows.get('executions', { exec_id: event.data.exec_id });
  switch (event.type) {
    case 'RunStarted':
      return started(event, existing, exec);
    case 'RunReaped':
      return reaped(event, existing, exec);
    default:
      return finished(event, existing, exec);
  }
};

const bucketOf = (outcome: string) =>
  outcome === 'succeeded' ? 'succeeded' : outcome === 'skipped' ? 'skipped' : 'failed';

const reaped = (
  event: RecordedEvent & RunReaped,
  existing: Result | undefined,
  exec: Exec | undefined,
): RowChange[] => {
  if (existing === undefined) return [];
  const row: Result = {
    ...existing,
    exit_code: EXIT.none,
    outcome: 'lost',
    reason: event.data.reason,
    finished_at: event.at,
    reaped: 1,
    seq: event.seq,
  };
  const changes = [put('results', row)];
  if (exec !== undefined)
    changes.push(put('executions', withStatus({ ...exec, running: exec.running - 1, failed: exec.failed + 1 })));
  return changes;
};

const started = (
  event: RecordedEvent & RunStarted,
  existing: Result | undefined,
  exec: Exec | undefined,
): RowChange[] => {
  if (existing !== undefined) return [];
  const row: Result = {
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
  };
  const changes = [put('results', row)];
  if (exec !== undefined)
    changes.push(put('executions', withStatus({ ...exec, started: exec.started + 1, running: exec.running + 1 })));
  return changes;
};

const finished = (
  event: RecordedEvent & RunFinished,
  existing: Result | undefined,
  exec: Exec | undefined,
): RowChange[] => {
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
  const changes = [put('results', row)];
  if (exec === undefined) return changes;
  const bucket = bucketOf(d.outcome);
  // A reaped run was already counted as failed and no longer running.
  const base =
    existing?.reaped === 1
      ? { ...exec, failed: exec.failed - 1 }
      : existing === undefined
        ? exec
        : { ...exec, running: exec.running - 1 };
  changes.push(put('executions', withStatus({ ...base, [bucket]: base[bucket] + 1 })));
  return changes;
};

const identity = (d: RunStarted['data'] | RunFinished['data']) => ({
  result_id: d.result_id,
  exec_id: d.exec_id,
  request_id: d.request_id,
  job_id: d.job_id,
  version: d.version,
  pc_id: d.pc_id,
});

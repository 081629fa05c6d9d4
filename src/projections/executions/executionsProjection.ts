import {
  type ExecEvent,
  type ExecRequested,
  type ExecRequestedInParts,
  joinRequestParts,
  type WaveScheduled,
} from '../../domain/execs/index.ts';
import { EXIT, type RunEvent, type RunFinished, type RunReaped, type RunStarted } from '../../domain/runs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { del, type Projection, put, type RowChange, type RowOf, type RowReader } from '../projection.ts';

type Exec = RowOf<'executions'>;
type Wave = RowOf<'exec_waves'>;
type Result = RowOf<'results'>;

/** The counters an exec and each of its waves keep. */
type Counters = Pick<Exec, 'started' | 'running' | 'succeeded' | 'failed' | 'skipped'>;
type Delta = Partial<Counters>;

/**
 * Executions with their counters, their waves with theirs, and one result row per (command, pc).
 * Counters move only when a result row changes state, so a duplicated RunStarted or RunFinished never
 * counts twice.
 */
export const executionsProjection: Projection = {
  name: 'executions',
  version: 5,
  apply: (event, rows) => {
    if (event.stream.startsWith('exec-')) return applyExecEvent(event as RecordedEvent & ExecEvent, rows);
    if (event.stream.startsWith('run-') && RUN_EVENTS.has(event.type))
      return applyRunEvent(event as RecordedEvent & RunEvent, rows);
    return [];
  },
};

// What a run stream may hold (anything else there — a `$Refused` marker, say — is none of ours).
const RUN_EVENTS = new Set(['RunStarted', 'RunFinished', 'RunReaped']);

type StatusInput = Pick<
  Exec,
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

/** The status an exec's state and counters imply; a kill request is final, then an abort. */
export const statusOf = (e: StatusInput): string => {
  if (e.kill_requested_at !== null) return 'killed';
  if (e.aborted_at !== null) return 'aborted';
  if (e.halted_at !== null) return 'halted';
  if (e.waves_left === 0 && e.succeeded + e.failed + e.skipped >= e.target_count) return 'completed';
  return e.started > 0 || e.succeeded + e.failed + e.skipped > 0 ? 'running' : 'pending';
};

const withStatus = (e: Exec): Exec => ({ ...e, status: statusOf(e) });

const add = <R extends Counters>(row: R, delta: Delta): R => ({
  ...row,
  started: row.started + (delta.started ?? 0),
  running: row.running + (delta.running ?? 0),
  succeeded: row.succeeded + (delta.succeeded ?? 0),
  failed: row.failed + (delta.failed ?? 0),
  skipped: row.skipped + (delta.skipped ?? 0),
});

const ZERO: Counters = { started: 0, running: 0, succeeded: 0, failed: 0, skipped: 0 };

const applyExecEvent = (event: RecordedEvent & ExecEvent, rows: RowReader): RowChange[] => {
  if (event.type === 'ExecRequested') return requested(event.data, event);
  if (event.type === 'ExecRequestPart') {
    const { parts: _parts, ...part } = event.data;
    return [put('exec_request_parts', part)];
  }
  if (event.type === 'ExecRequestedInParts') return requestedInParts(event.data, event, rows);
  const exec = rows.get('executions', { exec_id: event.data.exec_id });
  if (exec === undefined) return [];
  const update = (changes: Partial<Exec>) => put('executions', withStatus({ ...exec, ...changes, seq: event.seq }));
  const wave = (n: number) => rows.get('exec_waves', { exec_id: exec.exec_id, wave: n });
  const setWave = (n: number, changes: Partial<Wave>): RowChange[] => {
    const row = wave(n);
    return row === undefined ? [] : [put('exec_waves', { ...row, ...changes, seq: event.seq })];
  };
  // Waves not sent yet never go out after a kill or an abort.
  const cancelPending = (): RowChange[] =>
    waveNumbers(exec).flatMap((n) => {
      const row = wave(n);
      return row !== undefined && row.status !== 'dispatched' && row.status !== 'cancelled'
        ? setWave(n, { status: 'cancelled' })
        : [];
    });
  switch (event.type) {
    case 'WaveScheduled':
      return [put('exec_waves', scheduled(event.data, event.seq))];
    case 'ExecDispatched':
      return [update({ dispatched_at: event.at, subjects: JSON.stringify(event.data.subjects) })];
    case 'WaveReleased':
      return setWave(event.data.wave, {
        status: 'released',
        ...(event.data.deadline_at === undefined ? {} : { deadline_at: event.data.deadline_at }),
      });
    case 'WaveDispatched':
      return [
        update({ dispatched_at: exec.dispatched_at ?? event.at, waves_left: Math.max(0, exec.waves_left - 1) }),
        ...setWave(event.data.wave, { status: 'dispatched', dispatched_at: event.at }),
      ];
    case 'ExecHalted':
      return [
        update({ halted_at: event.at, halted_reason: event.data.reason }),
        ...setWave(event.data.wave, { status: 'halted', halted_reason: event.data.reason }),
      ];
    case 'ExecResumed':
      return [
        update({ halted_at: null, halted_reason: null }),
        ...setWave(event.data.wave, { status: 'scheduled', gate_waived: 1 }),
      ];
    case 'ExecAborted':
      return [
        update({
          aborted_at: event.at,
          aborted_by: event.actor,
          abort_reason: event.data.reason ?? null,
          waves_left: 0,
        }),
        ...cancelPending(),
      ];
    case 'KillRequested':
      // Nothing left to kill on a completed exec: its history stays "completed" (empty waves still cancel).
      if (exec.status === 'completed') return cancelPending();
      return [
        update({
          kill_requested_at: event.at,
          killed_by: event.actor,
          kill_reason: event.data.reason ?? null,
          waves_left: 0,
        }),
        ...cancelPending(),
      ];
    default:
      return [];
  }
};

const waveNumbers = (exec: Exec): number[] =>
  exec.rollout === null ? [] : (JSON.parse(exec.rollout) as { waves: unknown[] }).waves.map((_, i) => i);

const requested = (d: ExecRequested['data'], event: RecordedEvent): RowChange[] => {
  const waves = d.rollout?.waves ?? [];
  const rollout =
    d.rollout === undefined
      ? null
      : JSON.stringify({
          waves: waves.map(({ group, delay_secs, target_count }) => ({ group, delay_secs, target_count })),
          ...(d.rollout.gate === undefined ? {} : { gate: d.rollout.gate }),
        });
  const exec: Exec = withStatus({
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
    ...ZERO,
    status: 'pending',
    seq: event.seq,
    rollout,
    waves_left: waves.length,
    halted_at: null,
    halted_reason: null,
    aborted_at: null,
    aborted_by: null,
    abort_reason: null,
  });
  const targets = waves.flatMap((w, wave) =>
    w.pcs.map((pc_id) => put('exec_targets', { exec_id: d.exec_id, pc_id, wave })),
  );
  return [put('executions', exec), ...targets];
};

// The parts, joined, are the request; they are not needed once it is there.
const requestedInParts = (d: ExecRequestedInParts['data'], event: RecordedEvent, rows: RowReader): RowChange[] => {
  const { exec_id, request_id } = d;
  const keys = Array.from({ length: d.parts }, (_, part) => ({ exec_id, request_id, part }));
  const texts = keys.flatMap((key) => rows.get('exec_request_parts', key)?.text ?? []);
  const request = joinRequestParts({ request_id, texts }, request_id, d.parts);
  if (request === undefined) return [];
  return [...requested(request, event), ...keys.map((key) => del('exec_request_parts', key))];
};

const scheduled = (d: WaveScheduled['data'], seq: number): Wave => ({
  exec_id: d.exec_id,
  wave: d.wave,
  group_name: d.group,
  target_count: d.target_count,
  due_at: d.due_at,
  deadline_at: d.deadline_at ?? null,
  status: 'scheduled',
  gate_waived: 0,
  dispatched_at: null,
  halted_reason: null,
  ...ZERO,
  seq,
});

const applyRunEvent = (event: RecordedEvent & (RunEvent | RunReaped), rows: RowReader): RowChange[] => {
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
  const changes = [put('executions', withStatus(add(exec, delta)))];
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
  delta: { started: 1, running: 1 },
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
  delta: { running: -1, failed: 1 },
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
  // A reaped run was already counted as failed and no longer running.
  const base: Delta = existing?.reaped === 1 ? { failed: -1 } : existing === undefined ? {} : { running: -1 };
  return { row, delta: { ...base, [bucket]: (base[bucket] ?? 0) + 1 } };
};

const identity = (d: RunStarted['data'] | RunFinished['data']) => ({
  result_id: d.result_id,
  exec_id: d.exec_id,
  request_id: d.request_id,
  job_id: d.job_id,
  version: d.version,
  pc_id: d.pc_id,
});

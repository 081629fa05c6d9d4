import {
  type ExecEvent,
  type ExecRequested,
  type ExecRequestedInParts,
  joinRequestParts,
  type WaveScheduled,
} from '../../domain/execs/index.ts';
import type { RunEvent } from '../../domain/runs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { del, type Projection, put, type RowChange, type RowOf, type RowReader } from '../projection.ts';
import { withStatus, ZERO } from './counters.ts';
import { applyRunEvent } from './runResults.ts';

export { statusOf } from './counters.ts';

type Exec = RowOf<'executions'>;
type Wave = RowOf<'exec_waves'>;

/**
 * Executions with their counters, their waves with theirs, and one result row per (command, pc).
 * Counters move only when a result row changes state, so a duplicated RunStarted or RunFinished never
 * counts twice; they are kept as results arrive (one exec row per batch, whatever its result count),
 * so reading an exec never counts its results.
 */
export const executionsProjection: Projection = {
  name: 'executions',
  version: 8,
  apply: (event, rows) => {
    if (event.stream.startsWith('exec-')) return applyExecEvent(event as RecordedEvent & ExecEvent, rows);
    if (event.stream.startsWith('run-') && RUN_EVENTS.has(event.type))
      return applyRunEvent(event as RecordedEvent & RunEvent, rows);
    return [];
  },
};

// What a run stream may hold (anything else there — a `$Refused` marker, say — is none of ours).
const RUN_EVENTS = new Set(['RunStarted', 'RunFinished', 'RunReaped']);

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
    case 'ExecApproved':
      return [
        update({
          approvals_given: event.data.approvals,
          ...(event.data.approvals >= event.data.needed ? { approval: 'granted' } : {}),
        }),
        approvalStep(event, exec.exec_id, 'approved', event.data.approver, null),
      ];
    case 'ExecRejected':
      return [
        update({ approval: 'rejected', waves_left: 0 }),
        approvalStep(event, exec.exec_id, 'rejected', event.data.rejecter, event.data.reason),
      ];
    case 'ExecApprovalExpired':
      return [
        update({ approval: 'expired', waves_left: 0 }),
        approvalStep(event, exec.exec_id, 'expired', event.actor, `no approval by ${event.data.expires_at}`),
      ];
    default:
      return [];
  }
};

// One step of an exec's approval history.
const approvalStep = (event: RecordedEvent, exec_id: string, step: string, actor: string, reason: string | null) =>
  put('exec_approvals', { exec_id, seq: event.seq, step, actor, at: event.at, reason });

const waveNumbers = (exec: Exec): number[] =>
  exec.rollout === null ? [] : (JSON.parse(exec.rollout) as { waves: unknown[] }).waves.map((_, i) => i);

const requested = (d: ExecRequested['data'], event: RecordedEvent): RowChange[] => {
  const waves = d.rollout?.waves ?? [];
  const rollout =
    d.rollout === undefined
      ? null
      : JSON.stringify({
          waves: waves.map(({ group, where, delay_secs, target_count }) => ({
            ...(where === undefined ? { group } : { where }),
            delay_secs,
            target_count,
          })),
          ...(d.rollout.gate === undefined ? {} : { gate: d.rollout.gate }),
        });
  const exec: Exec = withStatus({
    exec_id: d.exec_id,
    kind: d.kind,
    job_id: d.job_id,
    version: d.version,
    request_id: d.request_id,
    target: JSON.stringify(d.target),
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
    result_count: 0,
    timed_out: 0,
    killed: 0,
    lost: 0,
    approval: d.approval === undefined ? null : 'pending',
    approvals_needed: d.approval?.approvers ?? 0,
    approvals_given: 0,
    approval_expires_at: d.approval?.expires_at ?? null,
  });
  const targets = waves.flatMap((w, wave) =>
    w.pcs.map((pc_id) => put('exec_targets', { exec_id: d.exec_id, pc_id, wave })),
  );
  const asked =
    d.approval === undefined ? [] : [approvalStep(event, d.exec_id, 'requested', d.approval.requested_by, null)];
  return [
    put('executions', exec),
    put('exec_pcs', { exec_id: d.exec_id, pcs: JSON.stringify(d.pcs) }),
    ...targets,
    ...asked,
  ];
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
  group_name: d.where === undefined ? (d.group ?? null) : null,
  selector: d.where?.selector ?? null,
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

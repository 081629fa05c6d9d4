import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, expect, it } from 'vitest';
import { aManifest } from '../../testing/manifests.ts';
import { buildCommand } from './command.ts';
import {
  AlreadyApproved,
  ApprovalByRequester,
  type ApproveExec,
  execDecider,
  heldForApproval,
  NotAwaitingApproval,
  type RequestExec,
} from './decider.ts';
import type { ExecEvent } from './events.ts';

const given = DeciderSpecification.for(execDecider);
const command = buildCommand(aManifest(), { exec_id: 'e1', request_id: 'r1' });
const approval = { approvers: 2, requested_by: 'alice', expires_at: '2026-12-03T00:00:00.000Z' };
const rollout = {
  waves: [
    { group: 'canary', delay_secs: 0, pcs: ['a'], target_count: 1 },
    { group: 'rest', delay_secs: 60, pcs: ['b'], target_count: 1 },
  ],
};
const request: RequestExec = {
  type: 'RequestExec',
  data: {
    exec_id: 'e1',
    kind: 'job',
    job_id: 'echo',
    version: '1.0.0',
    request_id: 'r1',
    target: { groups: ['canary', 'rest'] },
    pcs: ['a', 'b'],
    command,
    rollout,
    approval,
    wave_times: [{ due_at: '2026-12-02T00:00:00.000Z' }, { due_at: '2026-12-02T00:01:00.000Z' }],
  },
};
const { wave_times: _ignored, ...data } = request.data;
const requested: ExecEvent = { type: 'ExecRequested', data: { ...data, target_count: 2 } };
const approvedBy = (approver: string, approvals: number): ExecEvent => ({
  type: 'ExecApproved',
  data: { exec_id: 'e1', approver, approvals, needed: 2 },
});
const approveAs = (approver: string): ApproveExec => ({
  type: 'ApproveExec',
  data: {
    exec_id: 'e1',
    approver,
    wave_times: [{ due_at: '2026-12-02T05:00:00.000Z' }, { due_at: '2026-12-02T05:01:00.000Z' }],
  },
});

describe('exec approvals', () => {
  it('schedule no wave while the exec waits for approval', () => given([]).when(request).then([requested]));

  it('refuse the requester, even through one of their tokens', () => {
    given([requested]).when(approveAs('alice')).thenThrows(ApprovalByRequester);
    given([requested]).when(approveAs('alice:ci')).thenThrows(ApprovalByRequester);
  });

  it('count each person once, and schedule the waves from the last approval', () => {
    given([requested])
      .when(approveAs('bob'))
      .then([approvedBy('bob', 1)]);
    given([requested, approvedBy('bob', 1)])
      .when(approveAs('bob:laptop'))
      .thenThrows(AlreadyApproved);
    given([requested, approvedBy('bob', 1)])
      .when(approveAs('carol'))
      .then([
        approvedBy('carol', 2),
        {
          type: 'WaveScheduled',
          data: { exec_id: 'e1', wave: 0, group: 'canary', target_count: 1, due_at: '2026-12-02T05:00:00.000Z' },
        },
        {
          type: 'WaveScheduled',
          data: { exec_id: 'e1', wave: 1, group: 'rest', target_count: 1, due_at: '2026-12-02T05:01:00.000Z' },
        },
      ]);
  });

  it('hold dispatch until granted', () => {
    const state = [requested, approvedBy('bob', 1)].reduce(execDecider.evolve, execDecider.initialState());
    expect(heldForApproval(state)).toBe(true);
    expect(heldForApproval(execDecider.evolve(state, approvedBy('carol', 2)))).toBe(false);
    given([requested])
      .when({ type: 'MarkDispatched', data: { exec_id: 'e1', subjects: [] } })
      .thenThrows(NotAwaitingApproval);
  });

  it('end on a rejection or at the expiry, and take no approval after', () => {
    const rejected: ExecEvent = { type: 'ExecRejected', data: { exec_id: 'e1', rejecter: 'bob', reason: 'no' } };
    given([requested])
      .when({ type: 'RejectExec', data: { exec_id: 'e1', rejecter: 'bob', reason: 'no' } })
      .then([rejected]);
    given([requested, rejected]).when(approveAs('carol')).thenThrows(NotAwaitingApproval);
    given([requested])
      .when({ type: 'ExpireApproval', data: { exec_id: 'e1', now: '2026-12-02T23:59:59.000Z' } })
      .thenNothingHappened();
    given([requested])
      .when({ type: 'ExpireApproval', data: { exec_id: 'e1', now: '2026-12-03T00:00:00.000Z' } })
      .then([{ type: 'ExecApprovalExpired', data: { exec_id: 'e1', expires_at: approval.expires_at } }]);
  });

  it('refuse approving an exec whose job needs none', () => {
    const { approval: _a, rollout: _r, ...plain } = data;
    given([{ type: 'ExecRequested', data: { ...plain, target_count: 2 } }])
      .when({ type: 'ApproveExec', data: { exec_id: 'e1', approver: 'bob' } })
      .thenThrows(NotAwaitingApproval);
  });
});

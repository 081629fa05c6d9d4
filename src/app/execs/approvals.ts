import { ExecNotFound, execDecider, execStreamName, type WaveTime } from '../../domain/execs/index.ts';
import { type CommitContext, commandHandlerFor } from '../../infra/eventStore/index.ts';
import type { AppDeps } from '../deps.ts';

const handleExec = commandHandlerFor(execDecider);

/** What an approval step answers: whether it changed anything, and where it stands. */
export type ApprovalStep = { exec_id: string; status: string; seq: number };

/**
 * Approves an exec waiting for approval, as `commit.actor` (never the requester: the decider refuses
 * that). The last approval starts the exec's clock: its waves are due from now (each after its delay),
 * and a starting deadline counts from now.
 */
export const approveExec = async (
  deps: Pick<AppDeps, 'store'>,
  execId: string,
  commit: CommitContext,
): Promise<ApprovalStep> => {
  const { state } = await deps.store.aggregateStream(execStreamName(execId), execDecider);
  if (state.status !== 'requested') throw new ExecNotFound(execId);
  const now = Date.parse(commit.at);
  const deadlineSecs = state.request.approval?.starting_deadline_secs;
  const deadlineFrom = (from: number) =>
    deadlineSecs === undefined ? {} : { deadline_at: new Date(from + deadlineSecs * 1000).toISOString() };
  const wave_times: WaveTime[] = (state.request.rollout?.waves ?? []).map((w) => ({
    due_at: new Date(now + w.delay_secs * 1000).toISOString(),
    ...deadlineFrom(now + w.delay_secs * 1000),
  }));
  const handled = await handleExec(
    deps.store,
    execStreamName(execId),
    {
      type: 'ApproveExec',
      data: {
        exec_id: execId,
        approver: commit.actor,
        ...(wave_times.length === 0 ? {} : { wave_times }),
        ...(state.request.rollout === undefined ? deadlineFrom(now) : {}),
      },
    },
    { ...commit, correlationId: execId },
  );
  const approved = handled.events.find((e) => e.type === 'ExecApproved');
  const granted = approved?.type === 'ExecApproved' && approved.data.approvals >= approved.data.needed;
  return { exec_id: execId, status: granted ? 'approved' : 'approval-recorded', seq: handled.seq };
};

/** Rejects an exec waiting for approval: it ends, and nothing is dispatched. */
export const rejectExec = async (
  deps: Pick<AppDeps, 'store'>,
  execId: string,
  reason: string,
  commit: CommitContext,
): Promise<ApprovalStep> => {
  const handled = await handleExec(
    deps.store,
    execStreamName(execId),
    { type: 'RejectExec', data: { exec_id: execId, rejecter: commit.actor, reason } },
    { ...commit, correlationId: execId },
  );
  return { exec_id: execId, status: 'rejected', seq: handled.seq };
};

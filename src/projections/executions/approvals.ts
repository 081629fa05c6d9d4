import type { Kysely } from 'kysely';
import type { ExecCommand, Target } from '../../domain/execs/index.ts';
import type { ReadModels } from '../schema.ts';

/** One step of an exec's approval history. */
export type ApprovalStepView = { step: string; actor: string; at: string; reason: string | null };

/** An exec waiting for approval, with what an approver must see: the script, where it runs, who asked. */
export type PendingApproval = {
  exec_id: string;
  job_id: string;
  version: string;
  target: Target;
  target_count: number;
  rollout: unknown;
  shell: string;
  script: string;
  requested_by: string;
  requested_at: string;
  approvals_needed: number;
  approvals_given: number;
  approval_expires_at: string | null;
  steps: ApprovalStepView[];
};

/** The approval history of one exec, in order. */
export const approvalSteps = async (db: Kysely<ReadModels>, execId: string): Promise<ApprovalStepView[]> =>
  db
    .selectFrom('exec_approvals')
    .select(['step', 'actor', 'at', 'reason'])
    .where('exec_id', '=', execId)
    .orderBy('seq')
    .execute();

/** Execs waiting for approval, oldest first (the approvals inbox). */
export const listPendingApprovals = async (db: Kysely<ReadModels>, limit = 200): Promise<PendingApproval[]> => {
  const rows = await db
    .selectFrom('executions')
    .select([
      'exec_id',
      'job_id',
      'version',
      'target',
      'target_count',
      'rollout',
      'command',
      'requested_by',
      'requested_at',
      'approvals_needed',
      'approvals_given',
      'approval_expires_at',
    ])
    .where('status', '=', 'awaiting_approval')
    .orderBy('seq')
    .limit(limit)
    .execute();
  return Promise.all(
    rows.map(async ({ command, target, rollout, ...row }) => {
      const { shell, script } = JSON.parse(command) as ExecCommand;
      return {
        ...row,
        target: JSON.parse(target) as Target,
        rollout: rollout === null ? null : (JSON.parse(rollout) as unknown),
        shell,
        script,
        steps: await approvalSteps(db, row.exec_id),
      };
    }),
  );
};

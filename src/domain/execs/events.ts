import type { DomainEvent } from '../shared/messages.ts';
import type { ExecCommand } from './command.ts';
import type { Target } from './target.ts';

/** Whether an exec runs a catalog job, or an ad-hoc script (`kanade run`). */
export type ExecKind = 'job' | 'adhoc';

/**
 * What chose a wave's PCs: a selector over facts and groups (its canonical text), recorded so an audit
 * shows why those PCs were picked. A wave has a `group` or a `where`, never both.
 */
export type WaveWhere = { selector: string };

/**
 * One wave of a rollout: a group (or a selector), when it is due (relative to the request), and whom
 * it resolved to.
 */
export type Wave = { group?: string; where?: WaveWhere; delay_secs: number; pcs: string[]; target_count: number };

/** What must hold of the previous wave before the next one goes out. */
export type WaveGate = { max_failure_ratio?: number; min_success?: number };

/** A rollout in waves. */
export type Rollout = { waves: Wave[]; gate?: WaveGate };

/**
 * What a job marked `require_approval` needs before anything is dispatched: `approvers` distinct
 * people other than `requested_by`, before `expires_at`. The starting deadline (when the job has one)
 * counts from the final approval.
 */
export type ApprovalRequest = {
  approvers: number;
  requested_by: string;
  expires_at: string;
  starting_deadline_secs?: number;
};

/**
 * An operator (or the scheduler) asked to run a job (or an ad-hoc script) on a target, or in waves.
 * Carries the resolved PCs, their count, and the exact command agents will receive, so dispatch never
 * depends on later catalog state.
 */
export type ExecRequested = DomainEvent<
  'ExecRequested',
  {
    exec_id: string;
    kind: ExecKind;
    job_id: string;
    version: string;
    request_id: string;
    target: Target;
    pcs: string[];
    target_count: number;
    command: ExecCommand;
    rollout?: Rollout;
    /** Present when the job needs approval: nothing is dispatched (no wave is scheduled) until it is given. */
    approval?: ApprovalRequest;
    /**
     * Present when a selector chose the PCs: its canonical text and the target it was applied within
     * (`target` then names the matching PCs one by one, so the command reaches them and no others).
     */
    where?: { selector: string; scope: Target };
  }
>;

/**
 * One part of an exec request too big for one message (a target of tens of thousands of PCs): the
 * JSON text of the ExecRequested data, cut in pieces recorded in order before ExecRequestedInParts.
 * Parts of an attempt that never got its ExecRequestedInParts (a crash between) are ignored.
 */
export type ExecRequestPart = DomainEvent<
  'ExecRequestPart',
  { exec_id: string; request_id: string; part: number; parts: number; text: string }
>;

/**
 * ExecRequested, recorded in parts: the parts of this request id, joined, are the JSON of the
 * ExecRequested data; the fields here repeat what a reader wants at a glance.
 */
export type ExecRequestedInParts = DomainEvent<
  'ExecRequestedInParts',
  {
    exec_id: string;
    request_id: string;
    kind: ExecKind;
    job_id: string;
    version: string;
    target_count: number;
    parts: number;
  }
>;

/**
 * A wave is due at `due_at`; recorded with the request, so a restarted server dispatches it on time.
 * `deadline_at` (the starting deadline counted from `due_at`) replaces the command's for this wave.
 * `group` or `where` repeats what chose the wave's PCs.
 */
export type WaveScheduled = DomainEvent<
  'WaveScheduled',
  {
    exec_id: string;
    wave: number;
    group?: string;
    where?: WaveWhere;
    target_count: number;
    due_at: string;
    deadline_at?: string;
  }
>;

/**
 * The dispatcher published the command (after pinning the version): to `subject_count` subjects, the
 * first of them listed (all of them up to a hundred; the rest follow from the target).
 */
export type ExecDispatched = DomainEvent<
  'ExecDispatched',
  { exec_id: string; subjects: string[]; subject_count?: number }
>;

/**
 * The wave may go out: its gate passed (or was waived), decided once, before anything is published.
 * `deadline_at` is the starting deadline its commands carry (moved later by as much as the wave went
 * out late, after a halt, say).
 */
export type WaveReleased = DomainEvent<'WaveReleased', { exec_id: string; wave: number; deadline_at?: string }>;

/** The dispatcher published one wave's command (to each of its PCs' subjects). */
export type WaveDispatched = DomainEvent<'WaveDispatched', { exec_id: string; wave: number }>;

/** The previous wave broke the gate: the rollout stops before `wave` until an operator resumes or aborts it. */
export type ExecHalted = DomainEvent<'ExecHalted', { exec_id: string; wave: number; reason: string }>;

/** An operator let a halted rollout go on: the halted wave goes out without its gate. */
export type ExecResumed = DomainEvent<'ExecResumed', { exec_id: string; wave: number }>;

/** An operator stopped a rollout for good: waves not dispatched yet never are (running work goes on). */
export type ExecAborted = DomainEvent<'ExecAborted', { exec_id: string; reason?: string }>;

/** An operator asked to kill the exec: running processes are killed, unstarted ones and later waves never start. */
export type KillRequested = DomainEvent<'KillRequested', { exec_id: string; reason?: string }>;

/**
 * One person approved the exec: `approvals` of the `needed` are given. The last one lets it go out:
 * its waves are scheduled from then (WaveScheduled follows), and `deadline_at` is a plain exec's
 * starting deadline counted from then.
 */
export type ExecApproved = DomainEvent<
  'ExecApproved',
  { exec_id: string; approver: string; approvals: number; needed: number; deadline_at?: string }
>;

/** Somebody rejected the exec while it waited for approval: it ends, and nothing is dispatched. */
export type ExecRejected = DomainEvent<'ExecRejected', { exec_id: string; rejecter: string; reason: string }>;

/** The exec waited for approval past its `expires_at`: it ends, and nothing is dispatched. */
export type ExecApprovalExpired = DomainEvent<'ExecApprovalExpired', { exec_id: string; expires_at: string }>;

/** Every event of the exec aggregate. */
export type ExecEvent =
  | ExecRequested
  | ExecRequestPart
  | ExecRequestedInParts
  | WaveScheduled
  | ExecDispatched
  | WaveReleased
  | WaveDispatched
  | ExecHalted
  | ExecResumed
  | ExecAborted
  | KillRequested
  | ExecApproved
  | ExecRejected
  | ExecApprovalExpired;

/** The event-store stream of one exec. */
export const execStreamName = (execId: string): string => `exec-${execId}`;

import type { DomainEvent } from '../shared/messages.ts';
import type { ExecCommand } from './command.ts';
import type { Target } from './target.ts';

/** Whether an exec runs a catalog job, or an ad-hoc script (`kanade run`). */
export type ExecKind = 'job' | 'adhoc';

/**
 * An operator asked to run a job (or an ad-hoc script) on a target. Carries the resolved PCs, their
 * count, and the exact command agents will receive, so dispatch never depends on later catalog state.
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
  }
>;

/** The dispatcher published the command (after pinning the version). */
export type ExecDispatched = DomainEvent<'ExecDispatched', { exec_id: string; subjects: string[] }>;

/** An operator asked to kill the exec: running processes are killed, unstarted ones are not started. */
export type KillRequested = DomainEvent<'KillRequested', { exec_id: string; reason?: string }>;

/** Every event of the exec aggregate. */
export type ExecEvent = ExecRequested | ExecDispatched | KillRequested;

/** The event-store stream of one exec. */
export const execStreamName = (execId: string): string => `exec-${execId}`;

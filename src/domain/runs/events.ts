import type { DomainEvent } from '../shared/messages.ts';
import type { Outcome } from './outcome.ts';

/** What identifies a run: one result per (command, pc). */
export type RunIdentity = {
  result_id: string;
  exec_id: string;
  request_id: string;
  job_id: string;
  version: string;
  pc_id: string;
};

/** An agent is about to start the command's process. Appended by the agent (through its outbox). */
export type RunStarted = DomainEvent<'RunStarted', RunIdentity & { started_at: string }>;

/**
 * A run ended, or was refused by a gate (never silently). Output over 256 KiB is in the object store:
 * `stdout` is then empty and `stdout_object` names the object; the projection reads it back.
 */
export type RunFinished = DomainEvent<
  'RunFinished',
  RunIdentity & {
    started_at: string | null;
    finished_at: string;
    exit_code: number;
    outcome: Outcome;
    reason?: string;
    stdout: string;
    stderr: string;
    stdout_object?: string;
    stderr_object?: string;
  }
>;

/** Every event of the run aggregate. */
export type RunEvent = RunStarted | RunFinished;

/** The event-store stream of one run. */
export const runStreamName = (resultId: string): string => `run-${resultId}`;

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

/** Where large output is: in chunks on the run's output subject, with their count, size and digest. */
export type OutputRef = { chunks: number; bytes: number; sha256: string };

/**
 * A run ended, or was refused by a gate (never silently). Output over 256 KiB is in the output stream:
 * `stdout` is then empty and `stdout_output` says how to read it back (runs recorded earlier name an
 * object-store object in `stdout_object` instead); the projection reads it back.
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
    stdout_output?: OutputRef;
    stderr_output?: OutputRef;
    stdout_object?: string;
    stderr_object?: string;
  }
>;

/** Every event of the run aggregate. */
export type RunEvent = RunStarted | RunFinished;

/**
 * The event-store stream of one run, named by its pc and result id (`run-<pc>/<result>`): the pc
 * comes first in the subject, so an agent's broker credential may write its own runs and no others.
 * Runs recorded before this had `run-<result>`; they are read as they are.
 */
export const runStreamName = (pcId: string, resultId: string): string => `run-${pcId}/${resultId}`;

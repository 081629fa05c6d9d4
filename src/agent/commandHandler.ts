import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ExecCommand } from '../domain/execs/index.ts';
import { EXIT, gate, type Outcome, outcomeOf, type RunIdentity } from '../domain/runs/index.ts';
import type { Logger } from '../infra/log.ts';
import { killSubject } from '../infra/nats/subjects.ts';
import { parseCommand } from './commandPayload.ts';
import type { DedupJournal } from './dedupJournal.ts';
import type { Outbox } from './outbox.ts';
import type { Executor } from './processRunner.ts';
import { finishedEntry, runIdentity, startedEntry } from './results.ts';
import type { RunJournal } from './runJournal.ts';
import type { Slots } from './slots.ts';
import type { CommandViews } from './views.ts';

/** What the handler needs; all I/O comes in here, so the pipeline reads top to bottom. */
export type HandlerDeps = {
  pcId: string;
  nc: NatsConnection;
  dedup: DedupJournal;
  outbox: Outbox;
  journal: RunJournal;
  readViews: (jobId: string, execId: string) => Promise<CommandViews>;
  executor: Executor;
  slots: Slots;
  platform: string;
  shells: readonly string[];
  now: () => number;
  random: () => number;
  log: Logger;
};

const KILL_POLL_MS = 5_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Handles command messages: dedup, gates, jitter, run, results — each request at most once. */
export const createCommandHandler = (deps: HandlerDeps) => {
  const running = new Map<string, AbortController>();

  const finish = (
    identity: RunIdentity,
    startedAt: string | null,
    end: { exit_code: number; outcome: Outcome; reason?: string; stdout: string; stderr: string },
  ) => deps.outbox.enqueue(finishedEntry({ ...identity, started_at: startedAt, finished_at: iso(deps.now()), ...end }));

  const refuse = (identity: RunIdentity, exit_code: number, outcome: Outcome, reason: string) =>
    finish(identity, null, { exit_code, outcome, reason, stdout: '', stderr: `${reason}\n` });

  const execute = async (command: ExecCommand, identity: RunIdentity) => {
    const startedAt = iso(deps.now());
    deps.journal.begin({ ...identity, started_at: startedAt });
    deps.outbox.enqueue(startedEntry(identity, startedAt));
    const abort = new AbortController();
    running.set(command.exec_id, abort);
    const kill = deps.nc.subscribe(killSubject(command.exec_id), { callback: () => abort.abort() });
    await deps.nc.flush().catch(() => {});
    // The kill message is best effort (core NATS); the kill marker in KV is checked too while it runs.
    const poll = setInterval(() => {
      void deps.readViews(command.id, command.exec_id).then((v) => v.killed && abort.abort());
    }, KILL_POLL_MS);
    try {
      const result = await deps.executor(command, abort.signal);
      finish(identity, startedAt, {
        exit_code: result.exitCode,
        outcome: outcomeOf(result),
        stdout: result.stdout,
        stderr: result.stderr,
      });
    } finally {
      clearInterval(poll);
      kill.unsubscribe();
      running.delete(command.exec_id);
      deps.journal.end(identity.result_id);
    }
  };

  const process = async (command: ExecCommand) => {
    const identity = runIdentity(command, deps.pcId);
    const views = await deps.readViews(command.id, command.exec_id);
    const decision = gate({ command, now: deps.now(), views, platform: deps.platform, shells: deps.shells });
    if (!decision.run) return refuse(identity, decision.exit_code, decision.outcome, decision.reason);
    const jitter = command.jitter_secs ?? 0;
    if (jitter > 1) await sleep(Math.floor(deps.random() * jitter * 1000));
    await deps.slots.acquire();
    try {
      // A kill may have come while it waited for jitter or a slot.
      if ((await deps.readViews(command.id, command.exec_id)).killed) {
        return refuse(identity, EXIT.none, 'killed', `killed before it started (kill.${command.exec_id})`);
      }
      await execute(command, identity);
    } finally {
      deps.slots.release();
    }
  };

  return {
    /** Takes one command message (live or catch-up); duplicates are dropped here, synchronously. */
    handle: (payload: string, source: string): void => {
      const command = parseCommand(payload);
      if (command === undefined) {
        deps.log.warn('dropped an unreadable command', { source });
        return;
      }
      if (!deps.dedup.add(command.request_id)) return;
      deps.log.info('command received', { exec_id: command.exec_id, job_id: command.id, source });
      process(command).catch((error: unknown) => {
        // Never silent: even the agent's own failure becomes a result.
        deps.log.error('command failed inside the agent', { exec_id: command.exec_id, error });
        const reason = `agent error: ${error instanceof Error ? error.message : String(error)}`;
        try {
          refuse(runIdentity(command, deps.pcId), EXIT.none, 'failed', reason);
        } catch (enqueueError) {
          deps.log.error('could not record the failure either', { exec_id: command.exec_id, error: enqueueError });
        }
      });
    },
    /** Number of processes running now. */
    running: (): number => running.size,
    /** Kills every running process (the agent is stopping, or the fleet was halted), saying why. */
    killAll: (reason: string): void => {
      for (const abort of running.values()) abort.abort(reason);
    },
  };
};

/** The command handler of an agent. */
export type CommandHandler = ReturnType<typeof createCommandHandler>;

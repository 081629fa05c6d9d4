import { setTimeout as sleep } from 'node:timers/promises';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import type { ExecCommand, WireStaleness } from '../domain/execs/index.ts';
import { EXIT, type GateDecision, gate, type Outcome, outcomeOf, type RunIdentity } from '../domain/runs/index.ts';
import { retryTransient } from '../infra/backoff.ts';
import type { Logger } from '../infra/log.ts';
import type { AgentMetrics } from '../infra/metrics/agent.ts';
import { isBrokerUnavailable } from '../infra/nats/errors.ts';
import { killSubject } from '../infra/nats/subjects.ts';
import { refusedResultIdOf } from '../infra/runIds.ts';
import type { CommandJournal, JournalEntry } from './commandJournal.ts';
import { parseCommand, parseIdentity } from './commandPayload.ts';
import type { DedupJournal } from './dedupJournal.ts';
import type { Outbox } from './outbox.ts';
import { type Executor, recordedExitStatus } from './processRunner.ts';
import { finishedEntry, runIdentity, startedEntry } from './results.ts';
import type { Slots } from './slots.ts';
import type { Trust } from './trust.ts';
import type { CommandViews, ViewsReader } from './views.ts';

/** A command as it arrived: the subject it was addressed to, its exact bytes, and its signature headers. */
export type CommandMessage = { subject: string; data: Uint8Array; headers?: MsgHdrs | undefined };

/** What the handler needs; all I/O comes in here, so the pipeline reads top to bottom. */
export type HandlerDeps = {
  pcId: string;
  nc: NatsConnection;
  dedup: DedupJournal;
  outbox: Outbox;
  journal: CommandJournal;
  views: ViewsReader;
  /** The command-signing keys this agent trusts: an unsigned or altered command never runs. */
  trust: Pick<Trust, 'verify'>;
  /** True when this run was already recorded in the event log (a wiped data dir must not run it again). */
  alreadyRecorded: (identity: RunIdentity) => Promise<boolean>;
  stalenessSecs: () => number;
  /** The policy of commands that leave it to the agent (ad-hoc runs): its config's `staleness`. */
  defaultStaleness?: () => WireStaleness;
  executor: Executor;
  /** Loads what the executor needs, before a run is recorded as started (see `loadRunner`). */
  prepare?: () => Promise<unknown>;
  slots: Slots;
  platform: string;
  shells: readonly string[];
  now: () => number;
  random: () => number;
  log: Logger;
  /** Aborted when the agent stops: waits end, the command stays accepted in the journal for the next start. */
  stopping: AbortSignal;
  /** Counts what became of each command, and how the runs ended. */
  metrics?: Pick<AgentMetrics, 'commandReceived' | 'runFinished'>;
};

type End = { exit_code: number; outcome: Outcome; reason?: string; stdout: string; stderr: string };

const KILL_POLL_MS = 5_000;
const KILL_PREFIX = killSubject('');
// Longest jitter honoured (also bounded when the exec is requested): timers overflow past 24.8 days.
const MAX_JITTER_MS = 24 * 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

// Tries of a broker read of the views a command makes before it fails.
const BROKER_ATTEMPTS = 4;
// Tries of the already-recorded check (backoff to 5 s: about two minutes) before the run fails.
const RECORDED_ATTEMPTS = 30;
// Views read longer ago than this are read again before the command runs (a revoke or a halt since).
const FRESH_VIEWS_MS = 1_000;

/** Handles command messages: dedup, gates, jitter, run, results — each accepted command ends in a result. */
export const createCommandHandler = (deps: HandlerDeps) => {
  const running = new Map<string, AbortController>();
  // One subscription for the agent's life, not one per run (a subscribe, a flush and an unsubscribe
  // each time): a kill is rare, and one for an exec this agent does not run is dropped here.
  const kills = deps.nc.subscribe(killSubject('*'), {
    callback: (error, message) => {
      if (error === null) running.get(message.subject.slice(KILL_PREFIX.length))?.abort();
    },
  });

  // The journal entry goes only after the result is safely in the outbox.
  const finish = (identity: RunIdentity, startedAt: string | null, end: End) => {
    deps.outbox.enqueue(finishedEntry({ ...identity, started_at: startedAt, finished_at: iso(deps.now()), ...end }));
    deps.journal.done(identity.result_id);
    if (startedAt !== null) deps.metrics?.runFinished(end.outcome); // it ran (refusals never start)
  };
  const refuse = (identity: RunIdentity, d: Extract<GateDecision, { run: false }>) => {
    deps.metrics?.commandReceived('skipped');
    finish(identity, null, {
      exit_code: d.exit_code,
      outcome: d.outcome,
      reason: d.reason,
      stdout: '',
      stderr: `${d.reason}\n`,
    });
  };

  // The views are read once per gating: the second gate reuses the first read unless the command
  // waited (jitter, a slot), since a revoke or a halt during the wait must still stop it.
  const check = (command: ExecCommand, views: CommandViews): GateDecision =>
    gate({
      command,
      now: deps.now(),
      views,
      stalenessSecs: deps.stalenessSecs(),
      platform: deps.platform,
      shells: deps.shells,
    });
  const readViews = (command: ExecCommand) => deps.views.forCommand(command.id, command.exec_id);

  const execute = async (command: ExecCommand, identity: RunIdentity) => {
    await deps.prepare?.();
    deps.metrics?.commandReceived('run');
    const startedAt = iso(deps.now());
    deps.journal.write(identity.result_id, { state: 'running', command, identity, started_at: startedAt });
    deps.outbox.enqueue(startedEntry(identity, startedAt));
    const abort = new AbortController();
    running.set(command.exec_id, abort);
    // The kill message is best effort (core NATS); the kill marker in KV is polled too while it runs.
    const poll = setInterval(
      () => void deps.views.killed(command.exec_id).then((k) => k && abort.abort()),
      KILL_POLL_MS,
    );
    try {
      const result = await deps.executor(
        command,
        abort.signal,
        (pgid) =>
          deps.journal.write(identity.result_id, { state: 'running', command, identity, started_at: startedAt, pgid }),
        deps.journal.exitFile(identity.result_id),
      );
      finish(identity, startedAt, {
        exit_code: result.exitCode,
        outcome: outcomeOf(result),
        stdout: result.stdout,
        stderr: result.stderr,
      });
    } finally {
      clearInterval(poll);
      running.delete(command.exec_id);
    }
  };

  // Gates now and again after any wait (jitter, a slot): a revoke or a halt must catch waiting commands too.
  // A views read the broker is slow to answer under a burst (every agent of a fleet reads at once)
  // falls back to the last value seen (views.ts); what still fails is tried a few times.
  const patiently = <T>(step: () => Promise<T>, attempts = BROKER_ATTEMPTS) =>
    retryTransient(step, isBrokerUnavailable, {
      attempts,
      minMs: 500,
      maxMs: 5_000,
      signal: deps.stopping,
    });

  // Whether the event log already holds this run (an agent that lost its dedup journal, say) is asked
  // for about two minutes while the broker does not answer (a burst, an election), said once in the
  // log; a run nobody could check then fails with the reason, never runs unchecked. No run slot is
  // held meanwhile, so one slow check does not hold up the agent's other commands.
  const alreadyRecorded = (identity: RunIdentity) => {
    let said = false;
    const ask = () =>
      deps.alreadyRecorded(identity).catch((error: unknown) => {
        if (!said && isBrokerUnavailable(error)) {
          said = true;
          deps.log.warn('the broker does not answer whether this run is already recorded; asking again', {
            result_id: identity.result_id,
            error,
          });
        }
        throw error;
      });
    return patiently(ask, RECORDED_ATTEMPTS);
  };

  const process = async (command: ExecCommand) => {
    const identity = runIdentity(command, deps.pcId);
    // Asked together with the views (one wait instead of two); only awaited once the first gate passes.
    const recorded = alreadyRecorded(identity);
    recorded.catch(() => {}); // a refused command never awaits it
    const views = await patiently(() => readViews(command));
    const viewsReadAt = deps.now();
    const first = check(command, views);
    if (!first.run) return refuse(identity, first);
    if (await recorded) {
      deps.log.warn('this run is already in the event log; not running it again', { exec_id: command.exec_id });
      deps.metrics?.commandReceived('already_recorded');
      return deps.journal.done(identity.result_id);
    }
    const jitter = Math.min((command.jitter_secs ?? 0) * 1000, MAX_JITTER_MS);
    const waits = jitter > 1000 || !deps.slots.free();
    if (jitter > 1000) await sleep(Math.floor(deps.random() * jitter), undefined, { signal: deps.stopping });
    await deps.slots.acquire(deps.stopping);
    try {
      // Gated again on fresh views when the command waited (jitter, a slot, a broker slow to answer).
      const waited = waits || deps.now() - viewsReadAt > FRESH_VIEWS_MS;
      const again = check(command, waited ? await patiently(() => readViews(command)) : views);
      if (!again.run) return refuse(identity, again);
      await execute(command, identity);
    } finally {
      deps.slots.release();
    }
  };

  const start = (command: ExecCommand, source: string) => {
    deps.log.info('command received', { exec_id: command.exec_id, job_id: command.id, source });
    process(command).catch((error: unknown) => {
      if (deps.stopping.aborted) return; // stays accepted in the journal; the next start takes it up again
      deps.log.error('command failed inside the agent', { exec_id: command.exec_id, error });
      failWith(
        runIdentity(command, deps.pcId),
        `agent error: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  };

  const failWith = (identity: RunIdentity, reason: string) => {
    try {
      finish(identity, null, { exit_code: EXIT.none, outcome: 'failed', reason, stdout: '', stderr: `${reason}\n` });
    } catch (error) {
      deps.log.error('could not record the failure either; it stays in the journal', {
        result_id: identity.result_id,
        error,
      });
    }
  };

  return {
    /** Takes one command message (live or catch-up); duplicates are dropped here, synchronously. */
    handle: (message: CommandMessage, source: string): void => {
      const payload = new TextDecoder().decode(message.data);
      const signature = deps.trust.verify(message.subject, message.data, message.headers);
      if (!signature.ok) {
        refuseUnverified(message, payload, signature.reason, source);
        return;
      }
      const command = parseCommand(payload, deps.defaultStaleness?.());
      if (command === undefined) {
        refuseUnreadable(payload, source);
        return;
      }
      const identity = runIdentity(command, deps.pcId);
      if (deps.dedup.has(command.request_id)) {
        deps.metrics?.commandReceived('duplicate');
        return;
      }
      // Journal before dedup: a crash between the two leaves the command to be taken up again, not lost.
      deps.journal.write(identity.result_id, { state: 'accepted', command, accepted_at: iso(deps.now()) });
      deps.dedup.add(command.request_id);
      start(command, source);
    },
    /** Takes up what an earlier life left: accepted commands are gated again, running ones were lost. */
    recover: (): void => {
      for (const { resultId, entry } of deps.journal.leftovers()) {
        if (entry.state === 'accepted') {
          deps.dedup.add(entry.command.request_id);
          start(entry.command, 'journal');
        } else {
          const status = recordedExitStatus(deps.journal.exitFile(resultId));
          if (status === undefined) lost(resultId, entry);
          else finishedUnseen(entry, status);
        }
      }
    },
    /** Number of processes running now. */
    running: (): number => running.size,
    /** Stops listening for kills (the agent is stopping). */
    close: (): void => kills.unsubscribe(),
    /** Kills every running process (the agent is stopping, or the fleet was halted), saying why. */
    killAll: (reason: string): void => {
      for (const abort of running.values()) abort.abort(reason);
    },
  };

  // A command that is unsigned, altered, or signed for another subject never runs; it is answered with
  // a skipped result (123) so an operator sees the attempt. Its result id is its own (see
  // refusedResultIdOf): a forgery reusing a real request id cannot take the real command's result.
  function refuseUnverified(message: CommandMessage, payload: string, reason: string, source: string) {
    const identity = parseIdentity(payload, deps.pcId);
    deps.log.warn('refused a command that failed its signature check', { source, subject: message.subject, reason });
    deps.metrics?.commandReceived('refused');
    if (identity === undefined) return;
    const result_id = refusedResultIdOf(identity.request_id, deps.pcId);
    if (deps.dedup.has(`unverified:${result_id}`)) return;
    deps.dedup.add(`unverified:${result_id}`);
    const why = `refused: ${reason}`;
    finish({ ...identity, result_id }, null, {
      exit_code: EXIT.unverified,
      outcome: 'skipped',
      reason: why,
      stdout: '',
      stderr: `${why}\n`,
    });
  }

  // A command the agent cannot read still names who asked: it gets a failed result, never silence.
  function refuseUnreadable(payload: string, source: string) {
    const identity = parseIdentity(payload, deps.pcId);
    deps.log.warn('dropped an unreadable command', { source, exec_id: identity?.exec_id });
    deps.metrics?.commandReceived('unreadable');
    if (identity === undefined || deps.dedup.has(identity.request_id)) return;
    deps.dedup.add(identity.request_id);
    failWith(identity, 'refused: this agent cannot read the command (a newer or broken command format)');
  }

  // The script ended while the agent was away; its wrapper recorded how. Its output went nowhere.
  function finishedUnseen(entry: Extract<JournalEntry, { state: 'running' }>, exitCode: number) {
    deps.log.info('a command finished while the agent was stopped; reporting its recorded exit status', {
      result_id: entry.identity.result_id,
      exit_code: exitCode,
    });
    const reason =
      'the agent stopped while the command ran; it finished meanwhile and its exit status was recorded (its output after the agent stopped was lost)';
    finish(entry.identity, entry.started_at, {
      exit_code: exitCode,
      outcome: exitCode === 0 ? 'succeeded' : 'failed',
      reason,
      stdout: '',
      stderr: `${reason}\n`,
    });
  }

  function lost(
    resultId: string,
    entry: Extract<ReturnType<CommandJournal['leftovers']>[number]['entry'], { state: 'running' }>,
  ) {
    deps.log.warn('a command was running when the agent stopped; reporting it lost', { result_id: resultId });
    const reason = 'the agent stopped while the command ran';
    finish(entry.identity, entry.started_at, {
      exit_code: EXIT.none,
      outcome: 'lost',
      reason,
      stdout: '',
      stderr: `${reason}\n`,
    });
  }
};

/** The command handler of an agent. */
export type CommandHandler = ReturnType<typeof createCommandHandler>;

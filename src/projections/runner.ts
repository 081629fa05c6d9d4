import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type Database from 'better-sqlite3';
import { misplacedEvent } from '../domain/boundary.ts';
import { backoffDelay } from '../infra/backoff.ts';
import { decodeCommit, type RecordedEvent, streamNameOf, subjectParts } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { isBrokerUnavailable } from '../infra/nats/errors.ts';
import { createBatchWriter, readCheckpoints } from './batchWriter.ts';
import { createPositionSignal } from './positionSignal.ts';
import type { Projection } from './projection.ts';
import { runEventProblem } from './runEvents.ts';
import { watchForStall } from './stallWatch.ts';

/** Where a runner reads from and writes to. */
export type RunnerOptions = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  sqlite: Database.Database;
  projections: readonly Projection[];
  log: Logger;
  /** Events per transaction while replaying (live traffic commits as soon as it is caught up). */
  batchSize?: number;
  /** Turns a message into events (default: an event-log commit). */
  decode?: (m: StreamMessage) => RecordedEvent[];
  /** Completes events before the (pure) projections see them, e.g. output kept in the object store. */
  enrich?: (events: RecordedEvent[]) => Promise<void>;
  /** Told of every message read and every batch committed (metrics); it changes nothing applied. */
  observe?: RunnerObserver;
};

/** Watches a runner (metrics): messages as they are read, events once their batch is committed. */
export type RunnerObserver = {
  received(m: StreamMessage): void;
  applied(events: readonly RecordedEvent[], projections: readonly Projection[]): void;
};

/** A runner's health, for /health and `kanade projections status`. */
export type RunnerStatus = { seq: number; state: 'running' | 'failed' | 'stopped'; error?: string };

/** Folds the event stream into SQLite, from the stored checkpoint on, until stopped. */
export type ProjectionRunner = {
  /** Last stream sequence applied to every projection. */
  position(): number;
  status(): RunnerStatus;
  /** Resolves true once `seq` has been applied, false after `timeoutMs`. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean>;
  /** Calls `listener` after every committed batch with the new position. */
  onApplied(listener: (seq: number) => void): () => void;
  /** Follows the stream until `stop()`; broker outages and failing batches are retried with backoff. */
  follow(): Promise<void>;
  /** Applies everything up to the stream's head (or `untilSeq`), then resolves; retries like `follow`. */
  catchUp(untilSeq?: number): Promise<number>;
  stop(): Promise<void>;
};

// Messages a pull holds in memory, independent of the transaction size: commits can be large (a
// manifest with a 256 KiB script). (A byte-bounded pull hangs against nats-server 2.9 with this client.)
const PULL_MESSAGES = 500;

/** A stream message as decoders see it (a JsMsg, or a stored message in tests and tools). */
export type StreamMessage = { subject: string; seq: number; string(): string; timestamp?: string };

/**
 * Decodes a message at the read boundary. A commit nobody can read becomes one `$Unreadable` event; an
 * event that does not belong on its subject (a type of another category, or naming another pc, run,
 * exec… than the subject) becomes `$Refused`. Both are recorded, never applied, never a stall.
 */
export const decodeMessage = (m: StreamMessage): RecordedEvent[] => {
  const stream = streamNameOf(m.subject) ?? m.subject;
  let events: RecordedEvent[];
  try {
    events = decodeCommit(stream, m.seq, m.string());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return [marker('$Unreadable', { subject: m.subject, error: reason }, m, stream, 0)];
  }
  const parts = subjectParts(m.subject);
  return events.map((event) => {
    const misplaced =
      parts === undefined
        ? 'not an event-log subject'
        : (misplacedEvent(parts.category, parts.id, event) ??
          (parts.category === 'run' ? runEventProblem(event) : undefined));
    return misplaced === undefined
      ? event
      : {
          ...marker('$Refused', { subject: m.subject, type: event.type, error: misplaced }, m, stream, event.index),
          actor: event.actor,
          at: event.at,
          commitId: event.commitId,
        };
  });
};

const marker = (
  type: '$Unreadable' | '$Refused',
  data: Record<string, unknown>,
  m: StreamMessage,
  stream: string,
  index: number,
): RecordedEvent => ({ type, schema: 1, data, seq: m.seq, index, stream, commitId: '', actor: 'unknown', at: '' });

// The events of each commit, in order (a batch holds several commits; a commit's events share a seq).
const commitsOf = (events: readonly RecordedEvent[]): RecordedEvent[][] => {
  const commits: RecordedEvent[][] = [];
  for (const event of events) {
    const last = commits.at(-1);
    if (last !== undefined && last[0]?.seq === event.seq) last.push(event);
    else commits.push([event]);
  }
  return commits;
};

// Failures of the machine or the broker, not of one commit: retried from the checkpoint.
const INFRASTRUCTURE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|CORRUPT|NOTADB|PROTOCOL)/;
const isInfrastructure = (error: unknown): boolean =>
  isBrokerUnavailable(error) || INFRASTRUCTURE_CODES.test(String((error as { code?: unknown } | null)?.code ?? ''));

/** Creates a runner over an open read-model database. */
export const createRunner = (options: RunnerOptions): ProjectionRunner => {
  const { js, jsm, stream, sqlite, projections, log, batchSize = 10_000, decode = decodeMessage, enrich } = options;
  const writer = createBatchWriter(sqlite, projections);
  const stored = readCheckpoints(sqlite);
  let position = Math.min(...projections.map((p) => stored.find((c) => c.projection === p.name)?.seq ?? 0));
  if (!Number.isFinite(position)) position = 0;
  let state: RunnerStatus = { seq: position, state: 'stopped' };
  const signal = createPositionSignal();
  const abort = new AbortController();
  let running: Promise<void> | undefined;

  let applying = false;
  const applyAll = async (events: RecordedEvent[], lastSeq: number) => {
    if (enrich !== undefined) await enrich(events);
    writer.apply(events, lastSeq);
  };
  // A batch that fails for one bad commit is applied again commit by commit: the bad one is recorded
  // and skipped, the others are applied. Infrastructure failures (the disk, the broker) fail the batch,
  // which is retried from the checkpoint.
  const applyOneByOne = async (events: RecordedEvent[], lastSeq: number) => {
    for (const commit of commitsOf(events)) {
      const seq = commit[0]?.seq as number;
      try {
        await applyAll(commit, seq);
      } catch (error) {
        if (isInfrastructure(error)) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        log.error('a commit cannot be applied; recorded and skipped', { seq, error: reason });
        writer.skip(commit, seq, reason);
      }
    }
    writer.apply([], lastSeq);
  };
  const applied = async (events: RecordedEvent[], lastSeq: number) => {
    applying = true;
    try {
      await applyAll(events, lastSeq);
    } catch (error) {
      if (isInfrastructure(error)) throw error;
      await applyOneByOne(events, lastSeq);
    } finally {
      applying = false;
    }
    position = lastSeq;
    state = { seq: position, state: 'running' };
    options.observe?.applied(events, projections);
    signal.notify(position);
  };

  // One pass: from position+1 until `stopAt` (or, without it, until aborted).
  const consume = async (stopAt: number | undefined) => {
    if (stopAt !== undefined && position >= stopAt) return;
    const from = position + 1;
    const consumer = await js.consumers.get(
      stream,
      from > 1
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }
        : { deliver_policy: DeliverPolicy.All },
    );
    const messages = await consumer.consume({ max_messages: PULL_MESSAGES });
    const onAbort = () => void messages.close();
    abort.signal.addEventListener('abort', onAbort, { once: true });
    // stop() may have been called while the consumer was being created: the listener came too late.
    if (abort.signal.aborted) onAbort();
    const unwatch = watchForStall({
      position: () => position,
      idle: () => !applying,
      head: async () => (await jsm.streams.info(stream)).state.last_seq,
      onStall: (at, head) => {
        log.warn('the projection runner stopped receiving from the stream; starting again from its checkpoint', {
          seq: at,
          head,
        });
        void messages.close();
      },
    });
    try {
      await applyMessages(messages, stopAt);
    } finally {
      unwatch();
      abort.signal.removeEventListener('abort', onAbort);
      await messages.close();
    }
  };

  const applyMessages = async (messages: AsyncIterable<JsMsg>, stopAt: number | undefined) => {
    let events: RecordedEvent[] = [];
    let unflushed = 0;
    for await (const m of messages) {
      if (m.seq <= position) continue;
      options.observe?.received(m);
      events.push(...decode(m));
      unflushed++;
      const atEnd = m.info.pending === 0 || (stopAt !== undefined && m.seq >= stopAt);
      if (events.length >= batchSize || unflushed >= batchSize || atEnd) {
        await applied(events, m.seq);
        events = [];
        unflushed = 0;
      }
      if ((stopAt !== undefined && m.seq >= stopAt) || abort.signal.aborted) break;
    }
  };

  // Runs `pass` until it succeeds (catch-up) or forever (follow), retrying failures from the checkpoint.
  const supervise = async (pass: () => Promise<'done' | 'again'>) => {
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        if ((await pass()) === 'done') return;
        attempt = -1; // the consumer ended cleanly (e.g. after a long outage): start again at once
      } catch (error) {
        if (abort.signal.aborted) return;
        state = { seq: position, state: 'failed', error: error instanceof Error ? error.message : String(error) };
        const delay = backoffDelay(attempt, { minMs: 200, maxMs: 15_000 });
        (attempt === 0 ? log.error : log.debug)('projection runner failed; retrying from checkpoint', {
          seq: position,
          error,
          in_ms: delay,
        });
        await sleep(delay, undefined, { signal: abort.signal }).catch(() => {});
      }
    }
  };

  return {
    position: () => position,
    status: () => state,
    waitFor: (seq, timeoutMs) => signal.wait(() => position, seq, timeoutMs),
    onApplied: signal.subscribe,
    follow: () => {
      state = { seq: position, state: 'running' };
      running = supervise(async () => {
        await consume(undefined);
        return 'again';
      });
      return running;
    },
    catchUp: async (untilSeq) => {
      await supervise(async () => {
        const head = (await jsm.streams.info(stream)).state.last_seq;
        await consume(Math.min(untilSeq ?? Number.MAX_SAFE_INTEGER, head));
        return 'done';
      });
      return position;
    },
    stop: async () => {
      abort.abort();
      await running;
      state = { ...state, state: 'stopped' };
    },
  };
};

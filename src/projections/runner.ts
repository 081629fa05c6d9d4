import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type Database from 'better-sqlite3';
import { backoffDelay } from '../infra/backoff.ts';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { applyOrSkip, enrichOrSkip } from './applyBatch.ts';
import { createBatchWriter, readCheckpoints } from './batchWriter.ts';
import { decodeMessage, type StreamMessage } from './decode.ts';
import { applyOffThread } from './offThread/offThreadApply.ts';
import type { OffThreadSet } from './offThread/protocol.ts';
import { createPositionSignal } from './positionSignal.ts';
import type { Projection } from './projection.ts';
import { watchForStall } from './stallWatch.ts';

export type { StreamMessage } from './decode.ts';
export { decodeMessage } from './decode.ts';

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
  /**
   * The projections by name, for a bulk load on a writer thread (`catchUp(n, { offThreadFrom })`):
   * functions cannot cross threads, so the thread imports the set itself. Only with the default decoder.
   */
  offThread?: OffThreadSet;
};

/** Watches a runner (metrics): messages as they are read, events once their batch is committed. */
export type RunnerObserver = {
  received(m: StreamMessage): void;
  applied(events: readonly RecordedEvent[], projections: readonly Projection[]): void;
};

/** How a catch-up applies what it reads. */
export type CatchUpOptions = {
  /**
   * With a backlog of at least this many messages, decode, project and write on a writer thread while
   * this one reads NATS (the runner needs `offThread`). A thread takes a moment to start: small
   * backlogs are applied here.
   */
  offThreadFrom?: number;
  /** Events per transaction on the writer thread (default: the runner's `batchSize`). */
  offThreadBatch?: number;
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
  catchUp(untilSeq?: number, options?: CatchUpOptions): Promise<number>;
  stop(): Promise<void>;
};

// Messages a pull holds in memory, independent of the transaction size: commits can be large (a
// manifest with a 256 KiB script). (A byte-bounded pull hangs against nats-server 2.9 with this client.)
const PULL_MESSAGES = 500;

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
  // The last message a pass received: a follower that receives is not stalled, even before it applies.
  let received = 0;
  // A batch was committed. Its events are told to the observer when this thread decoded them (a
  // writer thread's batches move the position and the lag, not the applied-events counters).
  const committed = (lastSeq: number, events?: readonly RecordedEvent[]) => {
    position = lastSeq;
    state = { seq: position, state: 'running' };
    if (events !== undefined) options.observe?.applied(events, projections);
    signal.notify(position);
  };
  const applied = async (events: RecordedEvent[], lastSeq: number) => {
    applying = true;
    try {
      const skip = await enrichOrSkip(enrich, events);
      for (const s of applyOrSkip(writer, events, lastSeq, skip))
        log.error('a commit cannot be applied; recorded and skipped', { seq: s.seq, error: s.error });
    } finally {
      applying = false;
    }
    committed(lastSeq, events);
  };

  // Decoding, projecting and writing on a writer thread while this one reads NATS (a bulk load).
  const onWriterThread = (
    messages: AsyncIterable<JsMsg>,
    stopAt: number | undefined,
    set: OffThreadSet,
    batch: number,
  ) =>
    applyOffThread(messages, {
      file: sqlite.name,
      set,
      batchSize: batch,
      log,
      position: () => position,
      committed: (lastSeq) => committed(lastSeq),
      received: (seq) => {
        received = seq;
      },
      busy: (writing) => {
        applying = writing;
      },
      ...(enrich === undefined ? {} : { enrich }),
      stopAt,
      aborted: () => abort.signal.aborted,
    });

  // One pass: from position+1 until `stopAt` (or, without it, until aborted).
  const consume = async (stopAt: number | undefined, offThreadBatch?: number) => {
    if (stopAt !== undefined && position >= stopAt) return;
    const from = position + 1;
    received = position;
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
      position: () => Math.max(position, received),
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
      // A writer thread opens the file itself: an in-memory database cannot be shared with it.
      if (offThreadBatch !== undefined && options.offThread !== undefined && !options.decode && !sqlite.memory)
        await onWriterThread(messages, stopAt, options.offThread, offThreadBatch);
      else await applyMessages(messages, stopAt);
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
      received = m.seq;
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
    catchUp: async (untilSeq, catchUpOptions) => {
      await supervise(async () => {
        const head = (await jsm.streams.info(stream)).state.last_seq;
        const stopAt = Math.min(untilSeq ?? Number.MAX_SAFE_INTEGER, head);
        const from = catchUpOptions?.offThreadFrom;
        const onThread = from !== undefined && stopAt - position >= from;
        await consume(stopAt, onThread ? (catchUpOptions?.offThreadBatch ?? batchSize) : undefined);
        // A pass the stall watch ended early starts again from the checkpoint.
        return position >= stopAt ? 'done' : 'again';
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

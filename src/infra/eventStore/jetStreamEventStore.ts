import { createHmac } from 'node:crypto';
import {
  type AggregateStreamOptions,
  type AggregateStreamResult,
  type AppendToStreamOptions,
  type AppendToStreamResultWithGlobalPosition,
  assertExpectedVersionMatchesCurrent,
  type Event,
  type EventStore,
  type ExpectedStreamVersion,
  ExpectedVersionConflictError,
  NO_CONCURRENCY_CHECK,
  type ReadEvent,
  type ReadStreamOptions,
  type ReadStreamResult,
  STREAM_DOES_NOT_EXIST,
  STREAM_EXISTS,
} from '@event-driven-io/emmett';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { assertFitsPayload } from '../nats/payload.ts';
import { EVENTS_STREAM } from '../nats/streams.ts';
import { type CommitContext, decodeCommit, encodeCommit } from './envelope.ts';
import { type KanadeReadMetadata, readCommits, toReadEvent } from './readCommits.ts';
import { type CachedState, type StateCache, stateCache } from './stateCache.ts';
import { subjectOf } from './subjects.ts';

export type { KanadeReadMetadata } from './readCommits.ts';

/** Append options: Emmett's, plus the commit context. Emmett's command handler passes them through. */
export type KanadeAppendOptions = AppendToStreamOptions & { commit: CommitContext };

/** Append result, with the JetStream facts a caller needs (was it a retried duplicate?). */
export type KanadeAppendResult = AppendToStreamResultWithGlobalPosition & { duplicate: boolean };

/** Emmett's EventStore on a JetStream stream: one message per commit, OCC per aggregate subject. */
export type JetStreamEventStore = EventStore<KanadeReadMetadata> & {
  appendToStream<E extends Event>(
    streamName: string,
    events: E[],
    options?: KanadeAppendOptions,
  ): Promise<KanadeAppendResult>;
  /** Sequence of the last commit of a stream; 0 when the stream has none. */
  lastSequence(streamName: string): Promise<number>;
};

/**
 * Options of an event store. `msgIdKey`: commit ids become message ids through an HMAC with this
 * key. JetStream's duplicate window is per stream, so anyone who may publish into it (an agent, on its
 * own subjects) could otherwise claim a predictable commit id first — `schedule:<id>:<slot>`,
 * `dispatch:<exec>` — and make the real commit look like a duplicate. Every server of a fleet uses
 * the same key (it is derived from the shared signing key), so their retries still deduplicate.
 */
export type EventStoreOptions = {
  stream?: string;
  msgIdKey?: Uint8Array;
  /** Asked before every append: an error refuses it (the server's read models belong to another history). */
  refuseWrites?: () => Error | undefined;
  /** Folded states kept between commands (default: an LRU of 2,000 aggregates). */
  cache?: StateCache;
  /** Whose max_payload bounds a commit (default: the connection `js` was made from). */
  nc?: Pick<NatsConnection, 'info'>;
};

/** The last commit of a subject: its sequence (0 when none) and message id. */
type LastCommit = { seq: number; msgId: string };

// Room for the headers an append adds (Nats-Msg-Id, the expected sequence) on top of the body.
const HEADER_ALLOWANCE = 256;

/** Creates the event store over `stream` (KANADE_EVENTS unless a test says otherwise). */
export const jetStreamEventStore = (
  js: JetStreamClient,
  jsm: JetStreamManager,
  options: string | EventStoreOptions = {},
): JetStreamEventStore => {
  const {
    stream = EVENTS_STREAM,
    msgIdKey,
    refuseWrites,
    cache = stateCache(),
    nc = connectionOf(js),
  } = typeof options === 'string' ? { stream: options } : options;
  const msgIdOf = (commitId: string) =>
    msgIdKey === undefined ? commitId : `k1:${createHmac('sha256', msgIdKey).update(commitId).digest('base64url')}`;
  // One round trip: a direct get (any replica answers; a stale answer only costs a conflict and a retry).
  const lastCommitOf = async (subject: string): Promise<LastCommit> => {
    const m = await jsm.direct.getMessage(stream, { last_by_subj: subject });
    return { seq: m?.seq ?? 0, msgId: m?.header.get('Nats-Msg-Id') ?? '' };
  };
  const lastSeqOfSubject = async (subject: string): Promise<number> => (await lastCommitOf(subject)).seq;
  const commitAt = async (seq: number): Promise<StoredCommit | undefined> => {
    const m = await jsm.direct.getMessage(stream, { seq });
    return m === null ? undefined : { subject: m.subject, msgId: m.header.get('Nats-Msg-Id') };
  };

  const readStream = async <E extends Event>(
    streamName: string,
    options?: ReadStreamOptions<bigint, E>,
  ): Promise<ReadStreamResult<E, KanadeReadMetadata>> => {
    const subject = subjectOf(streamName);
    const current = BigInt(await lastSeqOfSubject(subject));
    assertExpectedVersionMatchesCurrent(current, options?.expectedStreamVersion, 0n);
    if (current === 0n) return { currentStreamVersion: 0n, events: [], streamExists: false };
    const from = options?.from ?? 1n;
    const to = options?.to === undefined || options.to > current ? current : options.to;
    // An empty range must not start a consumer: it would wait for a commit that never comes.
    if (from > to) return { currentStreamVersion: current, events: [], streamExists: true };
    const recorded = await readCommits(js, stream, subject, { from, to });
    const limited = options?.maxCount === undefined ? recorded : recorded.slice(0, Number(options.maxCount));
    const upcast = options?.schema?.versioning?.upcast;
    const events = limited.map((r) => toReadEvent<E>(r, streamName, upcast as ((e: Event) => E) | undefined));
    return { currentStreamVersion: current, events, streamExists: true };
  };

  const aggregateStream = async <State, E extends Event>(
    streamName: string,
    options: AggregateStreamOptions<State, E, KanadeReadMetadata>,
  ): Promise<AggregateStreamResult<State>> => {
    const evolve = options.evolve as (s: State, e: ReadEvent<E, KanadeReadMetadata>) => State;
    if (!isWholeRead(options.read)) {
      const result = await readStream<E>(streamName, options.read);
      const state = result.events.reduce(evolve, options.initialState());
      return { currentStreamVersion: result.currentStreamVersion, state, streamExists: result.streamExists };
    }
    const subject = subjectOf(streamName);
    const last = await lastCommitOf(subject);
    const folded = await foldedUpTo(streamName, subject, last, evolve, options.initialState);
    assertExpectedVersionMatchesCurrent(BigInt(folded.seq), options.read?.expectedStreamVersion, 0n);
    return { currentStreamVersion: BigInt(folded.seq), state: folded.state, streamExists: folded.seq > 0 };
  };

  // The state after `last`: the cached one when it is that commit, else the cached one (if it is
  // still a commit of this stream) plus the commits after it, else a fold of the whole subject.
  const foldedUpTo = async <State, E extends Event>(
    streamName: string,
    subject: string,
    last: LastCommit,
    evolve: (s: State, e: ReadEvent<E, KanadeReadMetadata>) => State,
    initialState: () => State,
  ): Promise<{ seq: number; state: State }> => {
    const held = cache.get(streamName, evolve);
    if (held !== undefined && held.seq === last.seq && held.msgId === last.msgId)
      return held as { seq: number; state: State };
    const base = held === undefined ? undefined : await baseFrom(held, subject, last);
    if (base === 'ahead') return held as { seq: number; state: State };
    if (held !== undefined && base === undefined) cache.delete(streamName, evolve);
    let state = base === undefined ? initialState() : (base.state as State);
    const from = (base?.seq ?? 0) + 1;
    // An empty range must not start a consumer: it would wait for a commit that never comes.
    if (from <= last.seq) {
      const recorded = await readCommits(js, stream, subject, { from: BigInt(from), to: BigInt(last.seq) });
      state = recorded.map((r) => toReadEvent<E>(r, streamName, undefined)).reduce(evolve, state);
    }
    cache.set(streamName, evolve, { seq: last.seq, msgId: last.msgId, state });
    return { seq: last.seq, state };
  };

  // Whether a cached state not at the last commit can still be used: as a base to fold the later
  // commits onto when the stream still holds it; as it is ('ahead') when it is later than the answer
  // (a replica that lags: the append's expected sequence is checked by the leader anyway); not at all
  // when the stream no longer holds its commit (it was recreated).
  const baseFrom = async (
    held: CachedState,
    subject: string,
    last: LastCommit,
  ): Promise<CachedState | 'ahead' | undefined> => {
    if (held.seq === 0) return last.seq > 0 ? held : undefined; // nothing folded yet: any history starts there
    if (held.seq === last.seq) return undefined; // same sequence, another commit: recreated
    const at = await commitAt(held.seq);
    if (at === undefined || at.subject !== subject || at.msgId !== held.msgId) return undefined;
    return held.seq > last.seq ? 'ahead' : held;
  };

  // After our own append, an entry that was the commit before it advances without a read.
  const advanceCached = (streamName: string, before: number, seq: number, msgId: string, body: string): void => {
    for (const [evolve, held] of cache.entriesOf(streamName)) {
      if (held.seq !== before) continue;
      const fold = evolve as (s: unknown, e: ReadEvent<Event, KanadeReadMetadata>) => unknown;
      const events = decodeCommit(streamName, seq, body).map((r) => toReadEvent<Event>(r, streamName, undefined));
      cache.set(streamName, evolve, { seq, msgId, state: events.reduce(fold, held.state) });
    }
  };

  const appendToStream = async <E extends Event>(
    streamName: string,
    events: E[],
    options?: KanadeAppendOptions,
  ): Promise<KanadeAppendResult> => {
    if (options?.commit === undefined) throw new Error('appendToStream needs options.commit (who, when, id)');
    if (events.length === 0) throw new Error('appendToStream needs at least one event');
    const refused = refuseWrites?.();
    if (refused !== undefined) throw refused;
    const subject = subjectOf(streamName);
    const expected = options.expectedStreamVersion ?? NO_CONCURRENCY_CHECK;
    const lastSubjectSequence = await expectedSequence(expected, () => lastSeqOfSubject(subject));
    const body = encodeCommit(options.commit, events);
    assertFitsPayload(nc, Buffer.byteLength(body) + HEADER_ALLOWANCE, `a commit to ${streamName}`);
    const msgID = msgIdOf(options.commit.id);
    try {
      const ack = await js.publish(subject, body, {
        msgID,
        ...(lastSubjectSequence === undefined ? {} : { expect: { lastSubjectSequence } }),
      });
      // A duplicate was stored earlier, maybe after other commits: let the next read check it.
      if (!ack.duplicate && lastSubjectSequence !== undefined) {
        advanceCached(streamName, lastSubjectSequence, ack.seq, msgID, body);
      }
      return {
        nextExpectedStreamVersion: BigInt(ack.seq),
        lastEventGlobalPosition: BigInt(ack.seq),
        createdNewStream: lastSubjectSequence === 0,
        duplicate: ack.duplicate,
      };
    } catch (error) {
      if (isWrongLastSequence(error)) {
        throw new ExpectedVersionConflictError(BigInt(await lastSeqOfSubject(subject)), expected);
      }
      throw error;
    }
  };

  return {
    readStream,
    aggregateStream,
    appendToStream,
    streamExists: async (streamName) => (await lastSeqOfSubject(subjectOf(streamName))) > 0,
    lastSequence: (streamName) => lastSeqOfSubject(subjectOf(streamName)),
  } as JetStreamEventStore;
};

// Emmett's expectations become JetStream's `expect.lastSubjectSequence` (0 = the subject holds nothing yet).
const expectedSequence = async (
  expected: ExpectedStreamVersion,
  readLast: () => Promise<number>,
): Promise<number | undefined> => {
  if (expected === NO_CONCURRENCY_CHECK) return undefined;
  if (expected === STREAM_DOES_NOT_EXIST) return 0;
  if (expected === STREAM_EXISTS) {
    const last = await readLast();
    if (last === 0) throw new ExpectedVersionConflictError(0n, expected);
    return last;
  }
  return Number(expected);
};

/** Where a commit is stored, to check a cached state still belongs to this stream. */
type StoredCommit = { subject: string; msgId: string };

// Only a read of the whole stream, without upcasting, folds to a state worth keeping.
const isWholeRead = <E extends Event>(read: ReadStreamOptions<bigint, E> | undefined): boolean =>
  read === undefined ||
  (read.from === undefined &&
    read.to === undefined &&
    read.maxCount === undefined &&
    read.schema?.versioning?.upcast === undefined);

// The client's connection: JetStreamClient does not declare it, its implementation has it.
const connectionOf = (js: JetStreamClient): Pick<NatsConnection, 'info'> => {
  if ('nc' in js && typeof js.nc === 'object' && js.nc !== null && 'info' in js.nc) {
    return js.nc as Pick<NatsConnection, 'info'>;
  }
  throw new Error('jetStreamEventStore needs options.nc: the client does not expose its connection');
};

const isWrongLastSequence = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence;

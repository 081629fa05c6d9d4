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
  type ReadEventMetadataWithGlobalPosition,
  type ReadStreamOptions,
  type ReadStreamResult,
  STREAM_DOES_NOT_EXIST,
  STREAM_EXISTS,
} from '@event-driven-io/emmett';
import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { EVENTS_STREAM } from '../nats/streams.ts';
import { type CommitContext, decodeCommit, encodeCommit, type RecordedEvent } from './envelope.ts';
import { streamNameOf, subjectOf } from './subjects.ts';

/** Read metadata of our events: Emmett's positions plus who caused the commit and when. */
export type KanadeReadMetadata = ReadEventMetadataWithGlobalPosition & {
  actor: string;
  at: string;
  via?: string;
  correlationId?: string;
};

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
};

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
  } = typeof options === 'string' ? { stream: options } : options;
  const msgIdOf = (commitId: string) =>
    msgIdKey === undefined ? commitId : `k1:${createHmac('sha256', msgIdKey).update(commitId).digest('base64url')}`;
  const lastSeqOfSubject = async (subject: string): Promise<number> =>
    (await jsm.streams.getMessage(stream, { last_by_subj: subject }))?.seq ?? 0;

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
    const result = await readStream<E>(streamName, options.read);
    const evolve = options.evolve as (s: State, e: ReadEvent<E, KanadeReadMetadata>) => State;
    const state = result.events.reduce(evolve, options.initialState());
    return { currentStreamVersion: result.currentStreamVersion, state, streamExists: result.streamExists };
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
    try {
      const ack = await js.publish(subject, body, {
        msgID: msgIdOf(options.commit.id),
        ...(lastSubjectSequence === undefined ? {} : { expect: { lastSubjectSequence } }),
      });
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

const isWrongLastSequence = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence;

/** Reads the commits of one subject between two stream sequences with an ordered (ephemeral) consumer. */
export const readCommits = async (
  js: JetStreamClient,
  stream: string,
  subject: string,
  range: { from: bigint; to: bigint },
): Promise<RecordedEvent[]> => {
  const consumer = await js.consumers.get(stream, {
    filter_subjects: subject,
    deliver_policy: range.from > 1n ? DeliverPolicy.StartSequence : DeliverPolicy.All,
    ...(range.from > 1n ? { opt_start_seq: Number(range.from) } : {}),
  });
  const out: RecordedEvent[] = [];
  const messages = await consumer.consume({ max_messages: 256 });
  const streamName = streamNameOf(subject) ?? subject;
  try {
    for await (const m of messages) {
      if (BigInt(m.seq) > range.to) break;
      out.push(...decodeCommit(streamName, m.seq, m.string()));
      if (BigInt(m.seq) >= range.to || m.info.pending === 0) break;
    }
  } finally {
    await messages.close();
  }
  return out;
};

const toReadEvent = <E extends Event>(
  r: RecordedEvent,
  streamName: string,
  upcast: ((e: Event) => E) | undefined,
): ReadEvent<E, KanadeReadMetadata> => {
  const event = { type: r.type, data: r.data } as Event;
  const current = upcast === undefined ? (event as E) : upcast(event);
  const metadata: KanadeReadMetadata = {
    messageId: `${r.commitId}:${r.index}`,
    streamName,
    streamPosition: BigInt(r.seq),
    globalPosition: BigInt(r.seq),
    actor: r.actor,
    at: r.at,
    ...(r.via === undefined ? {} : { via: r.via }),
    ...(r.correlationId === undefined ? {} : { correlationId: r.correlationId }),
  };
  return { ...current, kind: 'Event', metadata } as ReadEvent<E, KanadeReadMetadata>;
};

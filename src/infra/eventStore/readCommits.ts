import type { Event, ReadEvent, ReadEventMetadataWithGlobalPosition } from '@event-driven-io/emmett';
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { decodeCommit, type RecordedEvent } from './envelope.ts';
import { streamNameOf } from './subjects.ts';

/** Read metadata of our events: Emmett's positions plus who caused the commit and when. */
export type KanadeReadMetadata = ReadEventMetadataWithGlobalPosition & {
  actor: string;
  at: string;
  via?: string;
  correlationId?: string;
};

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

/** A recorded event as Emmett reads it, with our commit context in its metadata. */
export const toReadEvent = <E extends Event>(
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

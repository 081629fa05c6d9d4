import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type JetStreamClient, jetstreamManager } from '@nats-io/jetstream';
import { decodeCommit, type RecordedEvent, streamNameOf } from '../infra/eventStore/index.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import type { TestNats } from './nats.ts';

/** One commit of a recorded stream, as `scripts/recordFixture.ts` writes it. */
export type RecordedCommit = { seq: number; subject: string; commit: { id: string } & Record<string, unknown> };

/** Reads `fixtures/events/<name>.ndjson`. */
export const loadFixture = (name: string): RecordedCommit[] =>
  readFileSync(resolve(import.meta.dirname, `../../fixtures/events/${name}.ndjson`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RecordedCommit);

/** The recorded events, decoded exactly as the runner decodes messages. */
export const fixtureEvents = (commits: readonly RecordedCommit[]): RecordedEvent[] =>
  commits.flatMap((c) => decodeCommit(streamNameOf(c.subject) ?? c.subject, c.seq, JSON.stringify(c.commit)));

/** Publishes the recorded commits, in order, into an empty event stream. */
export const publishFixture = async (js: JetStreamClient, commits: readonly RecordedCommit[]): Promise<void> => {
  for (const c of commits) {
    const ack = await js.publish(c.subject, JSON.stringify(c.commit), { msgID: c.commit.id });
    if (ack.seq !== c.seq) throw new Error(`fixture seq ${c.seq} landed at ${ack.seq}: publish into an empty stream`);
  }
};

/** Writes every commit of the event stream to `fixtures/events/<name>.ndjson` (the recording scripts). */
export const recordFixture = async (nats: TestNats, name: string): Promise<number> => {
  const nc = await nats.connect();
  try {
    const jsm = await jetstreamManager(nc);
    const last = (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;
    const lines: string[] = [];
    for (let seq = 1; seq <= last; seq++) {
      const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq });
      if (m !== null) lines.push(JSON.stringify({ seq, subject: m.subject, commit: JSON.parse(m.string()) }));
    }
    writeFileSync(resolve(import.meta.dirname, `../../fixtures/events/${name}.ndjson`), `${lines.join('\n')}\n`);
    return lines.length;
  } finally {
    await nc.drain();
  }
};

import { ExpectedVersionConflictError, STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNats, type TestNats } from '../../testing/nats.ts';
import { createLogger } from '../log.ts';
import { EVENTS_STREAM, ensureStream, eventsStreamConfig } from '../nats/streams.ts';
import { commandHandlerFor } from './commandHandling.ts';
import { type JetStreamEventStore, jetStreamEventStore } from './jetStreamEventStore.ts';

type Counted = { type: 'Counted'; data: { n: number } };
type Count = { type: 'Count'; data: { by: string } };
const counter = {
  initialState: () => 0,
  evolve: (_n: number, e: Counted) => e.data.n,
  decide: (_c: Count, n: number): Counted[] => [{ type: 'Counted', data: { n: n + 1 } }],
};
const handleCount = commandHandlerFor(counter);

let nats: TestNats;
let nc: NatsConnection;
let store: JetStreamEventStore;
const warnings: string[] = [];
const log = createLogger('test', 'warn', (line) => warnings.push(line));
let commitNo = 0;
const commit = (over: Partial<{ id: string; actor: string }> = {}) => ({
  id: over.id ?? `c-${++commitNo}-${Math.random()}`,
  actor: over.actor ?? 'tester',
  at: '2026-11-22T10:00:00.000Z',
  via: 'test',
});

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, eventsStreamConfig(), log);
  store = jetStreamEventStore(jetstream(nc), jsm);
});
afterAll(async () => {
  await nc?.drain();
  await nats?.dispose();
});

describe('JetStream event store', () => {
  it('appends a commit and reads it back with who, when and where', async () => {
    const result = await store.appendToStream('job-echo', [{ type: 'JobRevoked', data: { job_id: 'echo' } }], {
      expectedStreamVersion: STREAM_DOES_NOT_EXIST,
      commit: commit({ actor: 'alice' }),
    });
    const read = await store.readStream('job-echo');
    expect(read.streamExists).toBe(true);
    expect(read.currentStreamVersion).toBe(result.nextExpectedStreamVersion);
    expect(read.events).toHaveLength(1);
    expect(read.events[0]).toMatchObject({
      type: 'JobRevoked',
      data: { job_id: 'echo' },
      metadata: { actor: 'alice', at: '2026-11-22T10:00:00.000Z', via: 'test', streamName: 'job-echo' },
    });
  });

  it('keeps the events of one command in one commit', async () => {
    const events = [1, 2, 3].map((n) => ({ type: 'Counted', data: { n } }));
    const { nextExpectedStreamVersion } = await store.appendToStream('count-batch', events, { commit: commit() });
    const read = await store.readStream('count-batch');
    expect(read.events.map((e) => e.metadata.streamPosition)).toEqual([1, 2, 3].map(() => nextExpectedStreamVersion));
  });

  it('reports a stale expected version as Emmett’s ExpectedVersionConflictError', async () => {
    const first = await store.appendToStream('count-occ', [{ type: 'Counted', data: { n: 1 } }], { commit: commit() });
    await store.appendToStream('count-occ', [{ type: 'Counted', data: { n: 2 } }], {
      expectedStreamVersion: first.nextExpectedStreamVersion,
      commit: commit(),
    });
    await expect(
      store.appendToStream('count-occ', [{ type: 'Counted', data: { n: 2 } }], {
        expectedStreamVersion: first.nextExpectedStreamVersion,
        commit: commit(),
      }),
    ).rejects.toBeInstanceOf(ExpectedVersionConflictError);
  });

  it('stores a retried commit id once', async () => {
    const again = commit({ id: 'same-commit' });
    const a = await store.appendToStream('count-dedup', [{ type: 'Counted', data: { n: 1 } }], { commit: again });
    const b = await store.appendToStream('count-dedup', [{ type: 'Counted', data: { n: 1 } }], { commit: again });
    expect(b).toMatchObject({ duplicate: true, nextExpectedStreamVersion: a.nextExpectedStreamVersion });
    expect((await store.readStream('count-dedup')).events).toHaveLength(1);
  });

  it('keys message ids: a publisher who knows a commit id cannot claim it first', async () => {
    const keyed = jetStreamEventStore(jetstream(nc), await jetstreamManager(nc), {
      msgIdKey: new TextEncoder().encode('a key every server shares'),
    });
    // Someone who may publish into the stream (on another subject) uses the commit id as a message id…
    await jetstream(nc).publish('kanade.ev.run.pc-x.x', '{}', { msgID: 'schedule:nightly:2026-11-22T00:00:00Z' });
    // …yet the real commit is stored, not taken for a duplicate; and its own retry still is one.
    const real = commit({ id: 'schedule:nightly:2026-11-22T00:00:00Z' });
    const first = await keyed.appendToStream('count-keyed', [{ type: 'Counted', data: { n: 1 } }], { commit: real });
    const retry = await keyed.appendToStream('count-keyed', [{ type: 'Counted', data: { n: 1 } }], { commit: real });
    expect(first.duplicate).toBe(false);
    expect(retry).toMatchObject({ duplicate: true, nextExpectedStreamVersion: first.nextExpectedStreamVersion });
    expect((await keyed.readStream('count-keyed')).events).toHaveLength(1);
  });

  it('encodes ids that are not subject-safe, such as host names', async () => {
    await store.appendToStream('agent-pc1.corp.example', [{ type: 'Seen', data: {} }], { commit: commit() });
    const read = await store.readStream('agent-pc1.corp.example');
    expect(read.events[0]?.metadata.streamName).toBe('agent-pc1.corp.example');
    expect(await store.streamExists('agent-pc1')).toBe(false);
  });

  it('reads a range of commits, and an empty range without waiting', async () => {
    const seqs: bigint[] = [];
    for (const n of [1, 2, 3]) {
      seqs.push(
        (await store.appendToStream('count-range', [{ type: 'Counted', data: { n } }], { commit: commit() }))
          .nextExpectedStreamVersion,
      );
    }
    const [first, second, third] = seqs as [bigint, bigint, bigint];
    const middle = await store.readStream<Counted>('count-range', { from: second, to: second });
    expect(middle.events.map((e) => e.data.n)).toEqual([2]);
    expect((await store.readStream<Counted>('count-range', { from: second })).events.map((e) => e.data.n)).toEqual([
      2, 3,
    ]);
    expect((await store.readStream<Counted>('count-range', { maxCount: 2n })).events.map((e) => e.data.n)).toEqual([
      1, 2,
    ]);
    const past = await store.readStream('count-range', { from: third + 1n });
    expect(past).toMatchObject({ events: [], streamExists: true, currentStreamVersion: third });
    expect(first).toBeLessThan(second);
  });

  it('loses no update when many writers race on one aggregate', async () => {
    const writers = Array.from({ length: 24 }, (_, i) =>
      handleCount(store, 'count-race', { type: 'Count', data: { by: `w${i}` } }, commit()),
    );
    const results = await Promise.all(writers);
    const seen = results.map((r) => r.state).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    const read = await store.readStream<Counted>('count-race');
    expect(read.events.map((e) => e.data.n)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });
});

describe('ensureStream', () => {
  it('fixes drift it owns and tolerates drift it cannot change', async () => {
    const jsm = await jetstreamManager(nc);
    const name = 'DRIFTED';
    await jsm.streams.add({ name, subjects: ['drift.>'], storage: StorageType.Memory, max_age: 3_600_000_000_000 });
    await ensureStream(jsm, { ...eventsStreamConfig(), name, subjects: ['drift.>'] }, log);
    const info = await jsm.streams.info(name);
    expect(info.config.max_age).toBe(0);
    expect(info.config.deny_delete).toBe(true);
    expect(info.config.storage).toBe(StorageType.Memory);
    expect(warnings.join('\n')).toMatch(/cannot change/);
  });

  it('is a no-op on a stream that already matches', async () => {
    const jsm = await jetstreamManager(nc);
    const before = await jsm.streams.info(EVENTS_STREAM);
    await ensureStream(jsm, eventsStreamConfig(), log);
    expect((await jsm.streams.info(EVENTS_STREAM)).config).toEqual(before.config);
  });
});

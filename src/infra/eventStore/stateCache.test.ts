import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNats, type TestNats } from '../../testing/nats.ts';
import { createLogger } from '../log.ts';
import { PayloadTooLarge } from '../nats/payload.ts';
import { EVENTS_STREAM, ensureStream, eventsStreamConfig } from '../nats/streams.ts';
import { commandHandlerFor } from './commandHandling.ts';
import { type JetStreamEventStore, jetStreamEventStore } from './jetStreamEventStore.ts';
import { stateCache } from './stateCache.ts';

type Counted = { type: 'Counted'; data: { n: number } };
type Count = { type: 'Count'; data: { by: string } };
// Counts how many events it folds, so a test sees whether a command replayed the history.
let folded = 0;
const counter = {
  initialState: () => 0,
  evolve: (_n: number, e: Counted) => {
    folded += 1;
    return e.data.n;
  },
  decide: (_c: Count, n: number): Counted[] => [{ type: 'Counted', data: { n: n + 1 } }],
};
const handleCount = commandHandlerFor(counter);

let nats: TestNats;
let nc: NatsConnection;
let commitNo = 0;
const commit = () => ({ id: `c-${++commitNo}-${Math.random()}`, actor: 't', at: '2026-11-22T10:00:00.000Z' });
const count = (store: JetStreamEventStore, stream: string) =>
  handleCount(store, stream, { type: 'Count', data: { by: 't' } }, commit());
const newStore = async () => jetStreamEventStore(jetstream(nc), await jetstreamManager(nc), { cache: stateCache(10) });

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStream(await jetstreamManager(nc), eventsStreamConfig(), createLogger('test', 'error'));
});
afterAll(async () => {
  await nc?.drain();
  await nats?.dispose();
});

describe('event store › folded states kept between commands', () => {
  it('decides a command without replaying the history it already folded', async () => {
    const store = await newStore();
    for (let i = 0; i < 30; i++) await count(store, 'count-hist');
    folded = 0;
    const next = await count(store, 'count-hist');
    expect(next.state).toBe(31);
    // the new event, once by the handler and once to advance the cache: none of the 30 before it
    expect(folded).toBe(2);
  });

  it('folds only the commits another writer added since', async () => {
    const mine = await newStore();
    const theirs = await newStore();
    for (let i = 0; i < 10; i++) await count(mine, 'count-two');
    for (let i = 0; i < 3; i++) await count(theirs, 'count-two');
    folded = 0;
    expect((await count(mine, 'count-two')).state).toBe(14);
    expect(folded).toBe(3 + 2);
  });

  it('never decides on a stale state: a racing writer makes it re-read and retry', async () => {
    const stores = await Promise.all([newStore(), newStore(), newStore()]);
    await count(stores[0], 'count-race');
    const results = await Promise.all(stores.flatMap((s) => [count(s, 'count-race'), count(s, 'count-race')]));
    expect(results.map((r) => r.state).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
    const read = await stores[1].readStream<Counted>('count-race');
    expect(read.events.map((e) => e.data.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('drops a state whose stream was recreated, even at the same sequence', async () => {
    const store = await newStore();
    const jsm = await jetstreamManager(nc);
    for (let i = 0; i < 3; i++) await count(store, 'count-again');
    await jsm.streams.delete(EVENTS_STREAM);
    await ensureStream(jsm, eventsStreamConfig(), createLogger('test', 'error'));
    const other = await newStore();
    // the new stream's commit 3 is someone else's: the cached 3 must not be taken for it
    await other.appendToStream('count-again', [{ type: 'Counted', data: { n: 100 } }], { commit: commit() });
    await other.appendToStream('count-pad', [{ type: 'Counted', data: { n: 0 } }], { commit: commit() });
    await other.appendToStream('count-again', [{ type: 'Counted', data: { n: 200 } }], { commit: commit() });
    expect((await count(store, 'count-again')).state).toBe(201);
  });

  it('keeps at most its bound of aggregates', async () => {
    const cache = stateCache(3);
    const store = jetStreamEventStore(jetstream(nc), await jetstreamManager(nc), { cache });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await count(store, `count-lru${id}`);
    expect(cache.size).toBe(3);
    expect(cache.get('count-lrua', counter.evolve)).toBeUndefined();
    expect(cache.get('count-lrue', counter.evolve)?.state).toBe(1);
  });
});

describe('event store › payload limit', () => {
  it('refuses a commit over the broker’s max_payload before publishing it', async () => {
    const store = await newStore();
    const limit = nc.info?.max_payload ?? 0;
    const big = [{ type: 'Counted', data: { n: 1, pad: 'x'.repeat(limit) } }];
    const refused = store.appendToStream('count-big', big, { commit: commit() });
    await expect(refused).rejects.toBeInstanceOf(PayloadTooLarge);
    await expect(refused).rejects.toMatchObject({
      limit,
      message: expect.stringMatching(/over the broker's max_payload/),
    });
    expect(await store.streamExists('count-big')).toBe(false);
  });
});

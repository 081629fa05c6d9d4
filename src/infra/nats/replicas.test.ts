import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNats } from '../../testing/nats.ts';
import { startTestNatsCluster, type TestNatsCluster } from '../../testing/natsCluster.ts';
import { commandHandlerFor, jetStreamEventStore } from '../eventStore/index.ts';
import { createLogger } from '../log.ts';
import { COMMANDS_STREAM, ensureFleetResources, OUTPUT_STORE, SCHEDULER_BUCKET, VIEWS } from './fleet.ts';
import { ENROLLMENT_SECRETS_BUCKET } from './secrets.ts';
import { EVENTS_STREAM, ensureStream, eventsStreamConfig } from './streams.ts';

const lines: string[] = [];
const log = createLogger('test', 'info', (line) => lines.push(line));
let cluster: TestNatsCluster;
let nc: NatsConnection;

beforeAll(async () => {
  cluster = await startTestNatsCluster(3);
  nc = await cluster.connect();
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await cluster?.dispose();
});

const replicasOf = async (stream: string) => {
  const info = await (await jetstreamManager(nc)).streams.info(stream);
  return { configured: info.config.num_replicas, peers: 1 + (info.cluster?.replicas?.length ?? 0) };
};

describe('replica counts on a cluster', () => {
  it('creates the event log with the replicas asked for', async () => {
    await ensureStream(await jetstreamManager(nc), eventsStreamConfig(3), log);
    expect(await replicasOf(EVENTS_STREAM)).toEqual({ configured: 3, peers: 3 });
  });

  it('scales an existing stream up to the count asked for, and leaves it alone when none is', async () => {
    const jsm = await jetstreamManager(nc);
    const config = { ...eventsStreamConfig(), name: 'SCALED', subjects: ['scaled.>'] };
    await jsm.streams.add(config);
    await jetstream(nc).publish('scaled.a', 'kept');
    await ensureStream(jsm, config, log);
    expect((await replicasOf('SCALED')).configured).toBe(1);
    await ensureStream(jsm, { ...config, num_replicas: 3 }, log);
    expect((await replicasOf('SCALED')).configured).toBe(3);
    // The scaled stream elects a leader among its new peers before it answers again.
    const kept = await retry(() => jsm.streams.getMessage('SCALED', { last_by_subj: 'scaled.a' }));
    expect(kept?.string()).toBe('kept');
  });

  it('gives every stream, bucket and store of the fleet the count, scaling a bucket made with one', async () => {
    await new Kvm(nc).create(VIEWS.pins, { history: 1 }); // as an older kanade made it
    await ensureFleetResources(nc, await jetstreamManager(nc), log, 3);
    const streams = [
      COMMANDS_STREAM,
      'KANADE_HEARTBEATS',
      'KANADE_OUTPUT',
      ...Object.values(VIEWS).map((b) => `KV_${b}`),
      `KV_${SCHEDULER_BUCKET}`,
      `KV_${ENROLLMENT_SECRETS_BUCKET}`,
      `OBJ_${OUTPUT_STORE}`,
    ];
    for (const stream of streams) expect([stream, (await replicasOf(stream)).configured]).toEqual([stream, 3]);
    expect(lines.join('\n')).toMatch(/changed the replica count of a stream.*KV_kanade_job_pins/);
  });
});

// nats-server 2.9 checks Nats-Expected-Last-Subject-Sequence only on the leader before proposing, so
// concurrent conditional appends can all pass; the duplicate check (Nats-Msg-Id) runs when each replica
// applies the entry, so commits that share an id are stored once. Every commit a server role might make
// at the same time as another server carries an id derived from what it decides (see architecture.md).
describe('racing commits on a replicated event log', () => {
  type Bumped = { type: 'Bumped'; data: { n: number } };
  const bump = commandHandlerFor({
    initialState: () => 0,
    evolve: (_n: number, e: Bumped) => e.data.n,
    decide: (_c: { type: 'Bump'; data: Record<string, never> }, n: number): Bumped[] => [
      { type: 'Bumped', data: { n: n + 1 } },
    ],
  });
  const at = '2026-11-22T10:00:00.000Z';

  // A busy 2-core machine can keep a three-node cluster's API waiting longer than the client's 5 s default.
  const patient = { timeout: 30_000 };
  const storeOn = async (c: NatsConnection) =>
    jetStreamEventStore(jetstream(c, patient), await jetstreamManager(c, patient));

  it('stores a commit id once however many servers append it at the same moment', { timeout: 120_000 }, async () => {
    const store = await storeOn(nc);
    const others = await Promise.all([cluster.connect(), cluster.connect(), cluster.connect()]);
    try {
      const stores = [store, ...(await Promise.all(others.map(storeOn)))];
      await bump(store, 'race-1', { type: 'Bump', data: {} }, { id: 'first', actor: 't', at });
      for (let round = 0; round < 10; round++) {
        const id = `slot-${round}`;
        await Promise.all(
          stores.flatMap((s) =>
            [0, 1].map(() => bump(s, 'race-1', { type: 'Bump', data: {} }, { id, actor: 't', at })),
          ),
        );
      }
      const { events } = await store.readStream<Bumped>('race-1');
      expect(events.map((e) => e.data.n)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    } finally {
      await Promise.all(others.map((c) => c.close()));
    }
  });
});

describe('losing a server', () => {
  it('keeps the replicated event log writable when its leader is killed, and the node rejoins', async () => {
    const js = jetstream(nc);
    const leader = await cluster.streamLeader(EVENTS_STREAM);
    await cluster.kill(leader);
    const ack = await retry(() => js.publish('kanade.ev.test.after-kill', 'x', { msgID: 'after-kill' }));
    expect(ack.seq).toBeGreaterThan(0);
    expect(await cluster.streamLeader(EVENTS_STREAM)).not.toBe(leader);
    await cluster.restart(leader);
    expect(cluster.running()).toHaveLength(3);
  });
});

describe('a single server', () => {
  it('creates streams and buckets with one replica when asked for three, and says so', async () => {
    const single = await startTestNats();
    const own: string[] = [];
    const c = await single.connect();
    try {
      const jsm = await jetstreamManager(c);
      const quiet = createLogger('test', 'warn', (line) => own.push(line));
      await ensureStream(jsm, eventsStreamConfig(3), quiet);
      await ensureFleetResources(c, jsm, quiet, 3);
      expect((await jsm.streams.info(EVENTS_STREAM)).config.num_replicas).toBe(1);
      expect((await jsm.streams.info(`KV_${VIEWS.fleet}`)).config.num_replicas).toBe(1);
      expect(own.join('\n')).toMatch(/not part of a cluster/);
    } finally {
      await c.close();
      await single.dispose();
    }
  });
});

// Publishes fail while the remaining servers elect a new stream leader (a few seconds at most).
const retry = async <T>(step: () => Promise<T>, timeoutMs = 20_000): Promise<T> => {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await step();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
};

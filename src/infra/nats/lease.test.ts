import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../testing/agentProcess.ts';
import { startTestNats, type TestNats } from '../../testing/nats.ts';
import { createLogger } from '../log.ts';
import { startLease } from './lease.ts';

let nats: TestNats;
let nc: NatsConnection;
const log = createLogger('test', 'error');

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
});
afterAll(async () => {
  await nc?.drain();
  await nats?.dispose();
});

const leaseOn = async (bucket: string, holder: string) =>
  startLease({ kv: await new Kvm(nc).create(bucket, { history: 1 }), key: 'leader', holder, ttlMs: 900, log });

describe('a KV lease', () => {
  it('has one holder at a time, handed over at once on a clean stop', async () => {
    const a = await leaseOn('lease_a', 'a');
    const b = await leaseOn('lease_a', 'b');
    await eventually(async () => a.isLeader() || b.isLeader(), 5_000, 'a leader');
    for (let i = 0; i < 10; i++) {
      expect(a.isLeader() && b.isLeader()).toBe(false);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];
    await leader.stop();
    await eventually(async () => other.isLeader(), 3_000, 'the other to take over');
    await other.stop();
  });

  it('is taken over once its holder goes silent for the ttl', async () => {
    const kv = await new Kvm(nc).create('lease_b', { history: 1 });
    await kv.put('leader', JSON.stringify({ holder: 'crashed' })); // a holder that will never renew
    const b = await leaseOn('lease_b', 'b');
    await new Promise((r) => setTimeout(r, 400));
    expect(b.isLeader()).toBe(false);
    await eventually(async () => b.isLeader(), 5_000, 'take-over after the ttl');
    expect((await kv.get('leader'))?.json()).toEqual({ holder: 'b' });
    await b.stop();
  });
});

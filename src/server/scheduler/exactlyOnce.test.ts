import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScheduleManifest, scheduleDecider, scheduleStreamName } from '../../domain/schedules/index.ts';
import { commandHandlerFor, type JetStreamEventStore, jetStreamEventStore } from '../../infra/eventStore/index.ts';
import { createLogger } from '../../infra/log.ts';
import { ensureStream, eventsStreamConfig } from '../../infra/nats/streams.ts';
import { startTestNats, type TestNats } from '../../testing/nats.ts';
import { slotExecId } from './slotExecId.ts';

const handle = commandHandlerFor(scheduleDecider);
let nats: TestNats;
let nc: NatsConnection;
let store: JetStreamEventStore;

const manifest: ScheduleManifest = {
  id: 'race',
  cron: '* * * * * *',
  tz: 'UTC',
  job_id: 'hello',
  target: { all: true },
  mode: 'every_tick',
  enabled: true,
};
// Each "scheduler" commits with its own commit id, so JetStream's duplicate window does not help:
// only the decider and the optimistic concurrency on the schedule's stream stand between them.
const fireFrom = (scheduler: string, slot: string) =>
  handle(
    store,
    scheduleStreamName('race'),
    { type: 'FireSchedule', data: { schedule_id: 'race', slot, exec_id: slotExecId('race', slot) } },
    { id: `${scheduler}:${slot}`, actor: 'scheduler', at: slot },
  );

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, eventsStreamConfig(), createLogger('test', 'error'));
  store = jetStreamEventStore(jetstream(nc), jsm);
  await handle(
    store,
    scheduleStreamName('race'),
    { type: 'ApplySchedule', data: { manifest } },
    { id: 'create', actor: 'tester', at: '2026-11-22T10:00:00.000Z' },
  );
});
afterAll(async () => {
  await nc?.drain();
  await nats?.dispose();
});

describe('a slot fires once', () => {
  it('when many schedulers race for the same slots at the same moment', async () => {
    const slots = Array.from({ length: 5 }, (_, i) => `2026-11-22T10:00:0${i + 1}.000Z`);
    const attempts = slots.flatMap((slot) => ['a', 'b', 'c', 'd'].map((s) => () => fireFrom(s, slot)));
    const results = await Promise.all(attempts.map((attempt) => attempt()));
    const { events } = await store.readStream(scheduleStreamName('race'));
    const fired = events.filter((e) => e.type === 'ScheduleFired').map((e) => (e.data as { slot: string }).slot);
    expect(fired.length).toBe(new Set(fired).size);
    // Racing may leave an older slot behind a newer one (each is taken once, in order, or not at all).
    expect([...fired].sort()).toEqual(fired);
    expect(fired.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.events.length > 0)).toHaveLength(fired.length);
  });

  it('derives the same exec id for a slot on every server, and a different one per slot', () => {
    expect(slotExecId('race', '2026-11-22T10:00:01.000Z')).toBe(slotExecId('race', '2026-11-22T10:00:01.000Z'));
    expect(slotExecId('race', '2026-11-22T10:00:01.000Z')).not.toBe(slotExecId('race', '2026-11-22T10:00:02.000Z'));
    expect(slotExecId('race', '2026-11-22T10:00:01.000Z')).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});

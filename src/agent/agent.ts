import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { EXIT } from '../domain/runs/index.ts';
import { normalizeGroups } from '../domain/shared/index.ts';
import { retryForever } from '../infra/backoff.ts';
import { jetStreamEventStore } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { openOutputStore, openViews } from '../infra/nats/fleet.ts';
import { createCommandHandler } from './commandHandler.ts';
import { openDedupJournal } from './dedupJournal.ts';
import { drainOutbox } from './drain.ts';
import { enroll } from './enroll.ts';
import { followHalt } from './halt.ts';
import { type AgentFacts, startHeartbeat } from './heartbeat.ts';
import { createIntake } from './intake.ts';
import { followMembership } from './membership.ts';
import { type Outbox, openOutbox } from './outbox.ts';
import { type Executor, runProcess } from './processRunner.ts';
import { finishedEntry } from './results.ts';
import { openRunJournal, type RunJournal } from './runJournal.ts';
import { createSlots } from './slots.ts';
import { createViewsReader } from './views.ts';

const RECONNECT_SPREAD_MS = 3_000;

/** Everything an agent runs with; the composition root opens the connection. */
export type AgentOptions = {
  facts: AgentFacts;
  initialGroups: readonly string[];
  dataDir: string;
  nc: NatsConnection;
  log: Logger;
  shells: readonly string[];
  heartbeatIntervalMs?: number;
  executor?: Executor;
  maxConcurrent?: number;
  now?: () => number;
  /** Already open KV views (many emulated agents in one process share them); opened here otherwise. */
  views?: Promise<Awaited<ReturnType<typeof openViews>>>;
};

/** A running agent. */
export type RunningAgent = {
  pcId: string;
  groups(): string[];
  running(): number;
  /** Stops taking commands, kills what runs, flushes results (up to a few seconds), and stops. */
  stop(): Promise<void>;
};

/** Starts an agent: every broker-dependent part retries until the broker is there; nothing dies on a cold broker. */
export const startAgent = async (options: AgentOptions): Promise<RunningAgent> => {
  const { nc, log, facts } = options;
  const now = options.now ?? Date.now;
  const stopping = new AbortController();
  const signal = stopping.signal;
  const dedup = openDedupJournal(join(options.dataDir, 'dedup.log'));
  const outbox = openOutbox(join(options.dataDir, 'outbox'));
  const journal = openRunJournal(join(options.dataDir, 'running'));
  reportLostRuns(journal, outbox, now);

  const js = jetstream(nc);
  const jsm = await retryForever('open JetStream', () => jetstreamManager(nc), log, { signal });
  let views: Awaited<ReturnType<typeof openViews>> | undefined;
  const viewsReady = (options.views ?? retryForever('open the agent views', () => openViews(nc), log, { signal })).then(
    (v) => (views = v),
  );
  let output: Promise<ObjectStore> | undefined;
  const outputStore = () =>
    (output ??= retryForever('open the output store', () => openOutputStore(nc), log, { signal }));
  const draining = drainOutbox({ outbox, js, jsm, output: outputStore, log: log.child('outbox'), signal });

  let groups = normalizeGroups(options.initialGroups);
  void enroll({ store: jetStreamEventStore(js, jsm), facts, groups, now, log, signal });
  const handler = createCommandHandler({
    pcId: facts.pc_id,
    nc,
    dedup,
    outbox,
    journal,
    executor: options.executor ?? runProcess,
    readViews: createViewsReader(() => views, now),
    slots: createSlots(options.maxConcurrent ?? Math.max(2, cpus().length)),
    platform: process.platform,
    shells: options.shells,
    now,
    random: Math.random,
    log,
  });
  const intake = createIntake({ nc, js, jsm, pcId: facts.pc_id, handle: handler.handle, log });
  await retryForever('start the command intake', () => intake.start(groups), log, { signal });
  const following = viewsReady.then((v) =>
    followMembership({
      kv: v.groups,
      pcId: facts.pc_id,
      log,
      signal,
      onChange: async (next) => {
        groups = next;
        await retryForever('follow group membership', () => intake.setGroups(next), log, { signal });
      },
    }),
  );
  const halting = viewsReady.then((v) =>
    followHalt({ kv: v.fleet, signal, log, onKill: (reason) => handler.killAll(reason) }),
  );
  const heartbeat = startHeartbeat({
    nc,
    facts,
    intervalMs: options.heartbeatIntervalMs ?? 30_000,
    now,
    state: () => ({ groups, running: handler.running() }),
  });
  void onReconnect(nc, signal, () => {
    heartbeat.publish();
    // After a broker restart the whole fleet reconnects at once: spread the catch-up reads.
    const spread = Math.floor(Math.random() * RECONNECT_SPREAD_MS);
    void sleep(spread, undefined, { signal })
      .then(() => retryForever('catch up after a reconnect', () => intake.catchUpAll(), log, { signal }))
      .catch(() => {});
  });
  log.info('agent started', { pc_id: facts.pc_id, groups });

  return {
    pcId: facts.pc_id,
    groups: () => groups,
    running: handler.running,
    stop: async () => {
      intake.stop();
      heartbeat.stop();
      handler.killAll('the agent is stopping');
      await until(() => handler.running() === 0 && outbox.pending().length === 0, 5_000);
      stopping.abort();
      await Promise.allSettled([draining, following, halting]);
      dedup.close();
    },
  };
};

// A run the previous life of the agent started and never finished is reported, not left "running".
const reportLostRuns = (journal: RunJournal, outbox: Outbox, now: () => number) => {
  for (const run of journal.leftovers()) {
    const reason = 'the agent stopped while the command ran';
    outbox.enqueue(
      finishedEntry({
        ...run,
        finished_at: new Date(now()).toISOString(),
        exit_code: EXIT.none,
        outcome: 'lost',
        reason,
        stdout: '',
        stderr: `${reason}\n`,
      }),
    );
    journal.end(run.result_id);
  }
};

const onReconnect = async (nc: NatsConnection, signal: AbortSignal, react: () => void) => {
  for await (const status of nc.status()) {
    if (signal.aborted) return;
    if (status.type === 'reconnect') react();
  }
};

const until = async (done: () => boolean, timeoutMs: number) => {
  for (const end = Date.now() + timeoutMs; !done() && Date.now() < end; ) await sleep(50);
};

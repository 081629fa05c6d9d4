import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { runStreamName } from '../domain/runs/index.ts';
import { normalizeGroups } from '../domain/shared/index.ts';
import { retryForever } from '../infra/backoff.ts';
import { jetStreamEventStore, subjectOf } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { openOutputStore, openViews } from '../infra/nats/fleet.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import { groupsKey } from '../infra/nats/subjects.ts';
import { createCommandHandler } from './commandHandler.ts';
import { openCommandJournal } from './commandJournal.ts';
import { trackConnection } from './connection.ts';
import { openDedupJournal } from './dedupJournal.ts';
import { drainOutbox } from './drain.ts';
import { enroll } from './enroll.ts';
import { followHalt } from './halt.ts';
import { type AgentFacts, startHeartbeat } from './heartbeat.ts';
import { createIntake } from './intake.ts';
import { followMembership, parseGroups } from './membership.ts';
import { openOutbox } from './outbox.ts';
import { type Executor, killProcessGroup, runProcess } from './processRunner.ts';
import { createSlots } from './slots.ts';
import { onStatus } from './status.ts';
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
  const quitting = new AbortController(); // ends waits for jitter or a slot (those commands stay journaled)
  const stopping = new AbortController(); // ends the loops, once results are flushed
  const signal = stopping.signal;
  const dedup = openDedupJournal(join(options.dataDir, 'dedup.log'));
  const outbox = openOutbox(join(options.dataDir, 'outbox'));
  const journal = openCommandJournal(join(options.dataDir, 'journal'));
  // Scripts run in their own process group and outlive a crashed agent: stop them before reporting them lost.
  for (const { entry } of journal.leftovers()) if (entry.state === 'running') killProcessGroup(entry.pgid, 'SIGKILL');

  const js = jetstream(nc);
  const jsm = await retryForever('open JetStream', () => jetstreamManager(nc), log, { signal });
  // The views come first: gates must never judge a command without them.
  const views = await (options.views ?? retryForever('open the agent views', () => openViews(nc), log, { signal }));
  let output: Promise<ObjectStore> | undefined;
  const outputStore = () =>
    (output ??= retryForever('open the output store', () => openOutputStore(nc), log, { signal }));
  const draining = drainOutbox({ outbox, js, jsm, output: outputStore, log: log.child('outbox'), signal });

  let groups = await knownGroups(views.groups, facts.pc_id, options.initialGroups, log);
  void enroll({
    store: jetStreamEventStore(js, jsm),
    facts,
    groups: normalizeGroups(options.initialGroups),
    now,
    log,
    signal,
  });
  const connection = trackConnection(nc, now, signal);
  const handler = createCommandHandler({
    pcId: facts.pc_id,
    nc,
    dedup,
    outbox,
    journal,
    executor: options.executor ?? runProcess,
    views: createViewsReader(() => views),
    stalenessSecs: connection.stalenessSecs,
    alreadyRecorded: async (identity) =>
      (await jsm.direct.getMessage(EVENTS_STREAM, { last_by_subj: subjectOf(runStreamName(identity.result_id)) })) !==
      null,
    slots: createSlots(options.maxConcurrent ?? Math.max(2, cpus().length)),
    platform: process.platform,
    shells: options.shells,
    now,
    random: Math.random,
    log,
    stopping: quitting.signal,
  });
  handler.recover();
  const intake = createIntake({ nc, js, jsm, pcId: facts.pc_id, handle: handler.handle, log });
  await retryForever('start the command intake', () => intake.start(groups), log, { signal });
  const following = followMembership({
    nc,
    kv: views.groups,
    pcId: facts.pc_id,
    log,
    signal,
    onChange: async (next) => {
      if (quitting.signal.aborted) return;
      groups = next;
      await retryForever('follow group membership', () => intake.setGroups(next), log, { signal });
    },
  });
  const halting = followHalt({ nc, kv: views.fleet, signal, log, onKill: (reason) => handler.killAll(reason) });
  const heartbeat = startHeartbeat({
    nc,
    facts,
    intervalMs: options.heartbeatIntervalMs ?? 30_000,
    now,
    state: () => ({ groups, running: handler.running() }),
  });
  void onStatus(nc, signal, (status) => {
    if (status.type !== 'reconnect') return;
    heartbeat.publish();
    // After a broker restart the whole fleet reconnects at once: spread the catch-up reads.
    void sleep(Math.floor(Math.random() * RECONNECT_SPREAD_MS), undefined, { signal })
      .then(() => retryForever('catch up after a reconnect', () => intake.catchUpAll(), log, { signal }))
      .catch(() => {});
  });
  log.info('agent started', { pc_id: facts.pc_id, groups });

  return {
    pcId: facts.pc_id,
    groups: () => groups,
    running: handler.running,
    stop: async () => {
      quitting.abort();
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

// The membership operators set lives in KV; the --groups flag only seeds an agent that never enrolled.
const knownGroups = async (
  kv: Awaited<ReturnType<typeof openViews>>['groups'],
  pcId: string,
  seed: readonly string[],
  log: Logger,
) => {
  try {
    const entry = await kv.get(groupsKey(pcId));
    const groups = entry?.operation === 'PUT' ? parseGroups(entry.string()) : undefined;
    return groups ?? normalizeGroups(seed);
  } catch (error) {
    log.warn('could not read the group membership; starting with --groups', { error });
    return normalizeGroups(seed);
  }
};

const until = async (done: () => boolean, timeoutMs: number) => {
  for (const end = Date.now() + timeoutMs; !done() && Date.now() < end; ) await sleep(50);
};

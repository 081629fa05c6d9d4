import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AgentSettings } from '../domain/config/index.ts';
import type { WireStaleness } from '../domain/execs/index.ts';
import { runStreamName } from '../domain/runs/index.ts';
import { formatDuration, normalizeGroups, parseDuration } from '../domain/shared/index.ts';
import { retryForever } from '../infra/backoff.ts';
import { subjectOf } from '../infra/eventStore/subjects.ts';
import type { Logger, LogLevel } from '../infra/log.ts';
import type { AgentMetrics } from '../infra/metrics/agent.ts';
import { bindViews, TRUST_KEY, VIEWS } from '../infra/nats/fleet.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import { groupsKey } from '../infra/nats/subjects.ts';
import { durationMs, followConfig } from './agentConfig.ts';
import { createCommandHandler } from './commandHandler.ts';
import { openCommandJournal } from './commandJournal.ts';
import { trackConnection } from './connection.ts';
import { openDedupJournal } from './dedupJournal.ts';
import { drainOutbox } from './drain.ts';
import { startFactsReporter } from './endpointFacts.ts';
import { followKey } from './followKey.ts';
import { followHalt } from './halt.ts';
import { type AgentFacts, startHeartbeat } from './heartbeat.ts';
import { createIntake, type Intake } from './intake.ts';
import { followMembership, parseGroups } from './membership.ts';
import { openOutbox } from './outbox.ts';
import { type Executor, killProcessGroup, loadRunner, runProcess, wrapperGroupOf } from './processRunner.ts';
import { createSlots } from './slots.ts';
import { onStatus } from './status.ts';
import type { Trust } from './trust.ts';
import { createViewsReader, verifiedView } from './views.ts';

const RECONNECT_SPREAD_MS = 3_000;
// How long a stopping agent waits for killed runs to end and results to reach the broker.
const STOP_FLUSH_MS = 4_000;

/** What a broker credential lets the agent read, and how it gets one for new groups (see brokerSession). */
export type AgentCredentials = {
  coveredGroups(groups: readonly string[]): string[];
  refreshCredentials(groups: readonly string[]): Promise<void>;
};

/** Everything an agent runs with; the composition root opens the connection. */
export type AgentOptions = {
  facts: AgentFacts;
  initialGroups: readonly string[];
  dataDir: string;
  nc: NatsConnection;
  /** The command-signing keys it trusts (pinned at approval, rotated through `kanade_fleet/trust`). */
  trust: Trust;
  /** Without one (a broker without JWT auth, or emulated agents), every group is readable. */
  credentials?: AgentCredentials;
  log: Logger;
  shells: readonly string[];
  heartbeatIntervalMs?: number;
  /** How often to look at the machine's facts (reported when they changed), ± a jitter; absent: never (emulated agents). */
  factsIntervalMs?: number;
  factsJitterMs?: number;
  executor?: Executor;
  maxConcurrent?: number;
  /** The level the agent logs at (its flag or environment), and how to change it when a config layer sets one. */
  logLevel?: LogLevel;
  setLogLevel?: (level: LogLevel) => void;
  now?: () => number;
  /** Already bound KV views (many emulated agents in one process share them); bound here otherwise. */
  views?: Promise<Awaited<ReturnType<typeof bindViews>>>;
  /** Counters of the agent process (`--metrics-port`); its outbox gauges are given the outbox this start opens. */
  metrics?: Pick<AgentMetrics, 'reconnected' | 'commandReceived' | 'runFinished' | 'watchOutbox'>;
};

/** A running agent. */
export type RunningAgent = {
  pcId: string;
  groups(): string[];
  running(): number;
  /**
   * Stops taking commands, kills what runs (reported as killed), flushes results for up to a few
   * seconds, and stops. Says how many runs it killed and how many results it could not send yet
   * (they stay in the outbox for the next start).
   */
  stop(): Promise<{ killed: number; unsent: number }>;
};

const allGroups: AgentCredentials = { coveredGroups: (g) => [...g], refreshCredentials: async () => {} };

/** Starts an agent: every broker-dependent part retries until the broker is there; nothing dies on a cold broker. */
export const startAgent = async (options: AgentOptions): Promise<RunningAgent> => {
  const { nc, log, facts } = options;
  const credentials = options.credentials ?? allGroups;
  const now = options.now ?? Date.now;
  const quitting = new AbortController(); // ends waits for jitter or a slot (those commands stay journaled)
  const stopping = new AbortController(); // ends the loops, once results are flushed
  const signal = stopping.signal;
  const dedup = openDedupJournal(join(options.dataDir, 'dedup.log'));
  const outbox = openOutbox(join(options.dataDir, 'outbox'));
  const journal = openCommandJournal(join(options.dataDir, 'journal'));
  options.metrics?.watchOutbox(outbox);
  // Scripts run in their own process group and outlive a crashed agent: stop them before reporting them lost.
  // A group id that never reached the journal (a crash right after the spawn) is found by the wrapper's command line.
  for (const { resultId, entry } of journal.leftovers())
    if (entry.state === 'running') {
      const pgid = entry.pgid ?? wrapperGroupOf(journal.exitFile(resultId));
      if (pgid === undefined) continue;
      log.info('stopping a script an earlier life of this agent left running', { result_id: resultId, pgid });
      killProcessGroup(pgid, 'SIGKILL');
    }

  const js = jetstream(nc);
  const jsm = await retryForever('open JetStream', () => jetstreamManager(nc), log, { signal });
  // The views come first: gates must never judge a command without them.
  const views = await (options.views ?? retryForever('bind the agent views', () => bindViews(nc), log, { signal }));
  const draining = drainOutbox({ outbox, js, jsm, log: log.child('outbox'), signal });

  let groups = await knownGroups(views.groups, facts.pc_id, options.initialGroups, options.trust, log);
  const connection = trackConnection(nc, now, signal);
  // What the agent runs with: its own settings (flags) until the config layers that apply say otherwise.
  const defaults = ownSettings(options);
  let settings: AgentSettings = defaults;
  const slots = createSlots(defaults.max_concurrent);
  let configuring: ReturnType<typeof followConfig> | undefined;
  let haltFlag: { stored: string | undefined } | undefined; // unknown until followHalt has read it
  const handler = createCommandHandler({
    pcId: facts.pc_id,
    nc,
    dedup,
    outbox,
    journal,
    executor: options.executor ?? runProcess,
    ...(options.executor === undefined ? { prepare: loadRunner } : {}),
    views: createViewsReader(
      () => views,
      options.trust.keys,
      () => haltFlag,
    ),
    trust: options.trust,
    stalenessSecs: connection.stalenessSecs,
    defaultStaleness: () => wireStaleness(settings.staleness),
    alreadyRecorded: async (identity) =>
      (await jsm.direct.getMessage(EVENTS_STREAM, {
        last_by_subj: subjectOf(runStreamName(identity.pc_id, identity.result_id)),
      })) !== null,
    slots,
    platform: process.platform,
    shells: options.shells,
    now,
    random: Math.random,
    log,
    stopping: quitting.signal,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  handler.recover();
  const intake = createIntake({ nc, js, jsm, pcId: facts.pc_id, handle: handler.handle, log });
  await retryForever('start the command intake', () => intake.start(credentials.coveredGroups(groups)), log, {
    signal,
  });
  const membership = followGroups({ intake, credentials, log, signal });
  void membership.apply(groups);
  const following = followMembership({
    nc,
    kv: views.groups,
    trusted: options.trust.keys,
    pcId: facts.pc_id,
    log,
    signal,
    onChange: async (next) => {
      if (quitting.signal.aborted) return;
      groups = next;
      configuring?.setGroups(next); // started below; it reads `groups` when it starts
      await membership.apply(next);
    },
  });
  const halting = followHalt({
    nc,
    kv: views.fleet,
    trusted: options.trust.keys,
    signal,
    log,
    onKill: (reason) => handler.killAll(reason),
    onStored: (stored) => {
      haltFlag = { stored };
    },
  });
  const trusting = followTrust({ nc, kv: views.fleet, trust: options.trust, log, signal });
  const heartbeat = startHeartbeat({
    nc,
    facts,
    intervalMs: options.heartbeatIntervalMs ?? 30_000,
    now,
    // `own`: what the agent runs with where no layer speaks, so the server can tell a layer's value
    // still applied (not caught up with a deletion) from the agent's own.
    state: () => ({ groups, running: handler.running(), config: { ...settings, own: defaults } }),
  });
  void onStatus(nc, signal, (status) => {
    if (status.type !== 'reconnect') return;
    options.metrics?.reconnected();
    heartbeat.publish();
    // After a broker restart the whole fleet reconnects at once: spread the catch-up reads.
    void sleep(Math.floor(Math.random() * RECONNECT_SPREAD_MS), undefined, { signal })
      .then(() => retryForever('catch up after a reconnect', () => intake.catchUpAll(), log, { signal }))
      .catch(() => {});
  });
  const reporting =
    options.factsIntervalMs === undefined
      ? undefined
      : startFactsReporter({
          js,
          pcId: facts.pc_id,
          agentVersion: facts.agent_version,
          intervalMs: options.factsIntervalMs,
          jitterMs: options.factsJitterMs ?? 0,
          now,
          random: Math.random,
          log: log.child('facts'),
          signal,
        });
  configuring = followConfig({
    nc,
    kv: views.config,
    trusted: options.trust.keys,
    pcId: facts.pc_id,
    groups,
    defaults,
    log: log.child('config'),
    signal,
    onChange: (next, values) => {
      const before = settings;
      settings = next;
      heartbeat.setInterval(durationMs(next.heartbeat, 30_000));
      reporting?.reschedule({
        intervalMs: durationMs(next.facts_interval, 3_600_000),
        jitterMs: durationMs(next.facts_jitter, 0),
      });
      slots.resize(next.max_concurrent);
      if (next.log_level !== before.log_level) options.setLogLevel?.(next.log_level);
      heartbeat.publish(); // says at once what it runs with now
      const changed = values.filter((v) => JSON.stringify(v.value) !== JSON.stringify(before[v.key]));
      if (changed.length > 0)
        log.info('config changed', Object.fromEntries(changed.map((v) => [v.key, { value: v.value, from: v.source }])));
      if (
        next.agent_version !== '' &&
        next.agent_version !== facts.agent_version &&
        next.agent_version !== before.agent_version
      )
        log.warn('the config asks for another agent version; this agent does not update itself yet', {
          wanted: next.agent_version,
          running: facts.agent_version,
        });
    },
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
      const killed = handler.running();
      handler.killAll('the agent is stopping');
      await until(() => handler.running() === 0 && outbox.pending().length === 0, STOP_FLUSH_MS);
      const unsent = outbox.pending().length;
      stopping.abort();
      handler.close();
      await Promise.allSettled([draining, following, halting, trusting, reporting?.done, configuring?.done()]);
      // A run that outlived the flush can no longer record its end here: its journal entry tells the next start.
      dedup.close();
      journal.close();
      outbox.close();
      return { killed, unsent };
    },
  };
};

/**
 * Applies membership changes in an order the broker accepts: leave the groups it lost first, then get
 * a credential that covers the new ones (reconnecting with it), then subscribe to them. Changes are
 * applied one at a time, the newest winning; a failed renewal is retried until it works.
 */
const followGroups = (deps: { intake: Intake; credentials: AgentCredentials; log: Logger; signal: AbortSignal }) => {
  let chain: Promise<void> = Promise.resolve();
  let wanted: readonly string[] = [];
  const step = async (groups: readonly string[]) => {
    if (groups !== wanted) return; // a newer change is queued
    await deps.intake.setGroups(deps.credentials.coveredGroups(groups));
    await deps.credentials.refreshCredentials(groups);
    await deps.intake.setGroups(deps.credentials.coveredGroups(groups));
  };
  return {
    apply: (groups: readonly string[]): Promise<void> => {
      wanted = groups;
      chain = chain.then(() =>
        retryForever('follow group membership', () => step(groups), deps.log, { signal: deps.signal }).catch(() => {}),
      );
      return chain;
    },
  };
};

// Follows the published signing keys: a rotation reaches agents without a restart.
const followTrust = (deps: {
  nc: NatsConnection;
  kv: Awaited<ReturnType<typeof bindViews>>['fleet'];
  trust: Trust;
  log: Logger;
  signal: AbortSignal;
}) =>
  followKey({
    nc: deps.nc,
    kv: deps.kv,
    bucket: VIEWS.fleet,
    key: TRUST_KEY,
    log: deps.log,
    signal: deps.signal,
    onValue: (value) => {
      if (value === undefined) return;
      let document: unknown;
      try {
        document = JSON.parse(value);
      } catch {
        document = undefined;
      }
      if (!deps.trust.update(document))
        deps.log.warn('ignored a signing-key list not signed by a key this agent trusts', {});
    },
  });

// The membership operators set lives in KV; the --groups flag only seeds an agent that never enrolled.
const knownGroups = async (
  kv: Awaited<ReturnType<typeof bindViews>>['groups'],
  pcId: string,
  seed: readonly string[],
  trust: Trust,
  log: Logger,
) => {
  try {
    const entry = await kv.get(groupsKey(pcId));
    const view = verifiedView(
      trust.keys,
      VIEWS.groups,
      groupsKey(pcId),
      entry?.operation === 'PUT' ? entry.string() : undefined,
    );
    const groups = view.kind === 'signed' ? parseGroups(view.value) : undefined;
    return groups ?? normalizeGroups(seed);
  } catch (error) {
    log.warn('could not read the group membership; starting with --groups', { error });
    return normalizeGroups(seed);
  }
};

// The agent's own settings, from its options (flags): what no config layer sets.
// (In whole seconds, as layers write them; the flags' own values are used as given until a layer speaks.)
const ownSettings = (options: AgentOptions): AgentSettings => ({
  heartbeat: formatDuration(Math.max(1, Math.round((options.heartbeatIntervalMs ?? 30_000) / 1000))),
  facts_interval: formatDuration(Math.max(1, Math.round((options.factsIntervalMs ?? 3_600_000) / 1000))),
  facts_jitter: formatDuration(Math.round((options.factsJitterMs ?? 0) / 1000)),
  max_concurrent: options.maxConcurrent ?? Math.max(2, cpus().length),
  log_level: options.logLevel ?? 'info',
  staleness: { mode: 'cached' },
  agent_version: '',
});

const wireStaleness = (s: AgentSettings['staleness']): WireStaleness =>
  s.mode === 'strict' ? { mode: 'strict', max_cache_age_secs: parseDuration(s.max_cache_age) ?? 0 } : { mode: s.mode };

const until = async (done: () => boolean, timeoutMs: number) => {
  for (const end = Date.now() + timeoutMs; !done() && Date.now() < end; ) await sleep(50);
};

import type { Event } from '@event-driven-io/emmett';
import type { JetStreamManager } from '@nats-io/jetstream';
import { retryForever } from '../infra/backoff.ts';
import type { JetStreamEventStore, KanadeAppendOptions, KanadeAppendResult } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import {
  createServerMetrics,
  type LagSample,
  type ScrapeSources,
  type ServerMetrics,
} from '../infra/metrics/server.ts';
import { HEARTBEATS_STREAM } from '../infra/nats/fleet.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import {
  agentsByStatus,
  executionsByStatus,
  type ReadModelsService,
  type RunnerObserver,
} from '../projections/index.ts';

const RUN_SUBJECTS = 'kanade.ev.run.';

/** The server's metrics, and the observer of its runners (timing results appended from now on). */
export const startMetrics = async (jsm: JetStreamManager, log: Logger) => {
  const metrics = createServerMetrics();
  const head = await retryForever(
    'read the event log head',
    async () => (await jsm.streams.info(EVENTS_STREAM)).state.last_seq,
    log,
  );
  return { metrics, observe: observeRunners(metrics, head) };
};

/** A gauge that could not be read is left out of that scrape (read models still building, the broker away). */
export const scrapeFailed =
  (log: Logger) =>
  (metric: string, error: unknown): void =>
    log.debug('a metric could not be read for this scrape', { metric, error });

/**
 * The event store, counting what this server appends: events by stream category, and the
 * scheduler's fired and skipped slots (ScheduleFired / ScheduleSkipped, counted here so the scheduler
 * itself carries no metrics code). A retried commit JetStream reports as a duplicate counts once.
 */
export const countAppends = (store: JetStreamEventStore, metrics: ServerMetrics): JetStreamEventStore => {
  const appendToStream = async <E extends Event>(
    streamName: string,
    events: E[],
    options?: KanadeAppendOptions,
  ): Promise<KanadeAppendResult> => {
    // Overload resolution picks Emmett's signature; the JetStream store always answers with its own result.
    const result = (await store.appendToStream(streamName, events, options)) as KanadeAppendResult;
    if (!result.duplicate) countEvents(metrics, streamName, events);
    return result;
  };
  return { ...store, appendToStream } as JetStreamEventStore;
};

const countEvents = (metrics: ServerMetrics, streamName: string, events: readonly Event[]) => {
  metrics.eventsAppended.inc({ category: streamName.slice(0, streamName.indexOf('-')) }, events.length);
  for (const event of events) {
    const data = event.data as { count?: unknown; reason?: unknown };
    if (event.type === 'ScheduleFired') metrics.schedulerFires.inc();
    if (event.type === 'ScheduleSkipped')
      metrics.schedulerSkips.inc({ reason: skipReason(String(data.reason)) }, Number(data.count) || 1);
  }
};

/**
 * A skipped range's reason as a label: the free text names jobs and PCs, a label must not. The
 * scheduler's reasons are: slots missed while no scheduler ran, the fleet halted, the job revoked or
 * not in the catalog, and otherwise an exec request the use case refused (an unknown PC, say).
 */
export const skipReason = (reason: string): string => {
  if (reason.startsWith('missed')) return 'missed';
  if (reason === 'the fleet is halted') return 'fleet_halted';
  if (/^job .* is revoked$/.test(reason)) return 'job_revoked';
  if (/^job .* is not in the catalog$/.test(reason)) return 'job_missing';
  return 'request_refused';
};

/**
 * Watches the read models' runners: counts applied events per projection, and times each RunFinished
 * from when the broker stored it to when its batch was committed. Only commits after `startSeq` (the
 * event log's head when this server started), and each sequence once, are timed: a rebuild replaying
 * history, or results that waited for a server that was down, would otherwise fill the histogram
 * with the age of the history. (Comparing sequences keeps a replay of millions of events cheap.)
 */
export const observeRunners = (metrics: ServerMetrics, startSeq: number): RunnerObserver => {
  const storedAt = new Map<number, number>(); // run commits read but not applied yet: seq → broker time
  let timedUpTo = startSeq;
  return {
    received: (m) => {
      if (m.seq <= timedUpTo || !m.subject.startsWith(RUN_SUBJECTS) || m.timestamp === undefined) return;
      storedAt.set(m.seq, Date.parse(m.timestamp));
    },
    applied: (events, projections) => {
      for (const p of projections) metrics.eventsApplied.inc({ projection: p.name }, events.length);
      const now = Date.now();
      for (const event of events) {
        if (!event.stream.startsWith('run-')) continue;
        const at = storedAt.get(event.seq);
        storedAt.delete(event.seq);
        if (event.type !== 'RunFinished' || event.seq <= timedUpTo) continue;
        timedUpTo = event.seq;
        if (at !== undefined) metrics.resultLatency.observe(Math.max(0, now - at) / 1000);
      }
    },
  };
};

/** What the server's gauges read when scraped: lag from the streams' heads, counts from the read models. */
export const scrapeSources = (deps: {
  jsm: JetStreamManager;
  readModels: ReadModelsService;
  /** The views writer's position in the event log. */
  views: { position(): number };
  now: () => Date;
}): ScrapeSources => ({
  lag: async () => {
    const status = deps.readModels.status();
    const positionIn = (stream: string) =>
      Math.min(...status.projections.filter((p) => p.stream === stream).map((p) => p.seq));
    return Promise.all([
      lagOf(deps, 'events', EVENTS_STREAM, deps.readModels.position()),
      lagOf(deps, 'heartbeats', HEARTBEATS_STREAM, positionIn(HEARTBEATS_STREAM)),
      lagOf(deps, 'agent_views', EVENTS_STREAM, deps.views.position()),
    ]);
  },
  agents: () => agentsByStatus(deps.readModels.db(), deps.now()),
  executions: () => executionsByStatus(deps.readModels.db()),
});

/**
 * How far a follower at `position` is behind `stream`: by the stream's last sequence minus the
 * position, and in time by the age of the first message after the position (the next one there is:
 * the heartbeat stream keeps only each agent's last).
 */
export const lagOf = async (
  deps: { jsm: JetStreamManager; now: () => Date },
  readModel: string,
  stream: string,
  position: number,
): Promise<LagSample> => {
  const applied = Number.isFinite(position) ? position : 0;
  const head = (await deps.jsm.streams.info(stream)).state.last_seq;
  const events = Math.max(0, head - applied);
  if (events === 0) return { readModel, events, seconds: 0 };
  const next = await deps.jsm.direct.getMessage(stream, { seq: applied + 1, next_by_subj: '>' });
  const seconds = next === null ? 0 : Math.max(0, deps.now().getTime() - next.time.getTime()) / 1000;
  return { readModel, events, seconds };
};

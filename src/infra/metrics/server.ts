import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How far one follower of a stream is behind it (read at scrape time). */
export type LagSample = {
  /** `events` (SQLite read models of the event log), `heartbeats`, `agent_views` (the KV views). */
  readModel: string;
  events: number;
  seconds: number;
};

/** What the gauges read when Prometheus scrapes: the read models and the streams, never a cached copy. */
export type ScrapeSources = {
  lag(): Promise<LagSample[]>;
  /** Agents by status: online, offline (approved ones, by heartbeat), pending, rejected, terminated. */
  agents(): Promise<Record<string, number>>;
  /** Execs by status (pending, running, completed, halted, aborted, killed). */
  executions(): Promise<Record<string, number>>;
};

// Latencies from milliseconds (a live projection) to minutes (a dispatch held behind a busy broker).
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Statuses shown even at 0, so a dashboard's series exist before the first agent or exec does.
const AGENT_STATUSES = ['online', 'offline', 'pending', 'rejected', 'terminated'];
const EXEC_STATUSES = ['pending', 'running', 'completed', 'halted', 'aborted', 'killed'];

/**
 * Every metric of one `kanade server` process, in a registry of its own (not prom-client's global
 * one: tests run several servers in one process). Counters and histograms are fed by the roles; the
 * gauges are computed when scraped, from `collectFrom`'s sources.
 */
export const createServerMetrics = () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let sources: ScrapeSources | undefined;
  let onScrapeError: (what: string, error: unknown) => void = () => {};

  // A source that fails (read models still building, the broker away) leaves its gauge empty for this scrape.
  const read = async <T>(what: string, get: (s: ScrapeSources) => Promise<T>): Promise<T | undefined> => {
    if (sources === undefined) return undefined;
    try {
      return await get(sources);
    } catch (error) {
      onScrapeError(what, error);
      return undefined;
    }
  };
  const byStatus = (gauge: Gauge<'status'>, known: readonly string[], counts: Record<string, number> | undefined) => {
    gauge.reset();
    if (counts === undefined) return;
    for (const status of new Set([...known, ...Object.keys(counts)])) gauge.set({ status }, counts[status] ?? 0);
  };

  // Both lag gauges come from one read of the streams per scrape: the second collect joins the first's.
  let lagRead: Promise<LagSample[] | undefined> | undefined;
  const lag = () => {
    lagRead ??= read('lag', (s) => s.lag()).finally(() => {
      lagRead = undefined;
    });
    return lagRead;
  };
  const setLag = async (gauge: Gauge<'read_model'>, value: (s: LagSample) => number) => {
    const samples = await lag();
    gauge.reset();
    for (const sample of samples ?? []) gauge.set({ read_model: sample.readModel }, value(sample));
  };
  new Gauge({
    name: 'kanade_projection_lag_events',
    help: "Stream messages a follower has not applied yet: the stream's last sequence minus the follower's position",
    labelNames: ['read_model'],
    registers,
    async collect() {
      await setLag(this, (s) => s.events);
    },
  });
  new Gauge({
    name: 'kanade_projection_lag_seconds',
    help: 'Age of the oldest stream message a follower has not applied yet (0 when caught up)',
    labelNames: ['read_model'],
    registers,
    async collect() {
      await setLag(this, (s) => s.seconds);
    },
  });
  const agents = new Gauge({
    name: 'kanade_agents',
    help: 'Agents by status: online and offline (approved, by heartbeat), pending, rejected, terminated',
    labelNames: ['status'],
    registers,
    async collect() {
      byStatus(this, AGENT_STATUSES, await read('agents', (s) => s.agents()));
    },
  });
  const executions = new Gauge({
    name: 'kanade_executions',
    help: 'Execs by status, as the executions read model has them',
    labelNames: ['status'],
    registers,
    async collect() {
      byStatus(this, EXEC_STATUSES, await read('executions', (s) => s.executions()));
    },
  });

  return {
    registry,
    /** API requests by method, route pattern (never the raw path) and status. */
    httpRequestDuration: new Histogram({
      name: 'kanade_http_request_duration_seconds',
      help: 'HTTP API requests, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
    /** Events this server appended to the event log (duplicates of a retried commit are not counted). */
    eventsAppended: new Counter({
      name: 'kanade_events_appended_total',
      help: 'Events this server appended to KANADE_EVENTS, by stream category',
      labelNames: ['category'],
      registers,
    }),
    /** Events folded into the read models, per projection (every projection of a stream sees every event). */
    eventsApplied: new Counter({
      name: 'kanade_events_applied_total',
      help: 'Events applied to the SQLite read models, per projection',
      labelNames: ['projection'],
      registers,
    }),
    /** Request (or a wave's due time) → command published. */
    dispatchLatency: new Histogram({
      name: 'kanade_dispatch_latency_seconds',
      help: 'From an exec requested (kind=exec) or a wave due (kind=wave) to its command published',
      labelNames: ['kind'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    /** A RunFinished stored by the broker → applied in the read models. */
    resultLatency: new Histogram({
      name: 'kanade_result_latency_seconds',
      help: 'From a RunFinished stored in KANADE_EVENTS (broker time) to the result applied in the read models',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    schedulerFires: new Counter({
      name: 'kanade_scheduler_fires_total',
      help: 'Schedule slots this server fired',
      registers,
    }),
    schedulerSkips: new Counter({
      name: 'kanade_scheduler_skips_total',
      help: 'Schedule slots this server recorded as skipped, by reason',
      labelNames: ['reason'],
      registers,
    }),
    agents,
    executions,
    /** Where the gauges read from at scrape time, and where a failing read is reported. */
    collectFrom: (s: ScrapeSources, onError: (what: string, error: unknown) => void): void => {
      sources = s;
      onScrapeError = onError;
    },
  };
};

/** The metrics of a server; roles take the instruments they feed. */
export type ServerMetrics = ReturnType<typeof createServerMetrics>;

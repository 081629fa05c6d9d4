import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamEventStore } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import type { ServerMetrics } from '../infra/metrics/server.ts';
import type { ReadModelsService } from '../projections/index.ts';

/** How a background loop of the server is doing (dispatcher, views writer, …), as /health shows it. */
export type BackgroundStatus = {
  loop: string;
  state: 'ok' | 'failing';
  since?: string;
  error?: string;
  stuck: { item: string; error: string; since: string }[];
};

/** API tokens by the name recorded as the actor of every event the token causes. */
export type TokenTable = ReadonlyMap<string, string>;

/** How the API authenticates: named bearer tokens, or (dev only, explicitly) nobody. */
export type AuthMode = { kind: 'tokens'; tokens: TokenTable } | { kind: 'insecure' };

/** Everything the API needs, wired by the server's composition root. */
export type ApiDeps = {
  nc: NatsConnection;
  jsm: JetStreamManager;
  store: JetStreamEventStore;
  readModels: ReadModelsService;
  /** Secrets kept out of the event stream (enrollment token hashes). */
  secrets: KV;
  /** The server's background loops, for /health (absent when the API runs on its own, in tests). */
  background?: () => BackgroundStatus[];
  auth: AuthMode;
  log: Logger;
  /** The clock at the edge: command times come from here, never from inside a decider or projection. */
  now: () => Date;
  /** Commit ids (ULIDs in production). */
  newId: () => string;
  /** Longest wait for `min_seq` before answering 503. */
  minSeqWaitMs?: number;
  /** Request timing and `GET /metrics` (absent: neither). */
  metrics?: ApiMetrics;
};

/** What the API feeds and serves: the request histogram, and the registry `/metrics` prints. */
export type ApiMetrics = Pick<ServerMetrics, 'registry' | 'httpRequestDuration'> & {
  /** `/metrics` without a token (KANADE_METRICS_PUBLIC=1): for a scraper on a trusted network. */
  public?: boolean;
};

/** Hono's environment for our routes. */
export type ApiEnv = { Variables: { actor: string } };

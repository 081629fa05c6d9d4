import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Role } from '../domain/accounts/index.ts';
import type { CredentialStore } from '../infra/accounts/credentials.ts';
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
  /** People's credentials, kept out of the event stream: password, personal-token and session hashes. */
  credentials: CredentialStore;
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
  /** People other than the requester who must approve each ad-hoc run (0 or absent: none). */
  adhocApprovers?: number;
  /** Request timing and `GET /metrics` (absent: neither). */
  metrics?: ApiMetrics;
};

/** What the API feeds and serves: the request histogram, and the registry `/metrics` prints. */
export type ApiMetrics = Pick<ServerMetrics, 'registry' | 'httpRequestDuration'> & {
  /** `/metrics` without a token (KANADE_METRICS_PUBLIC=1): for a scraper on a trusted network. */
  public?: boolean;
};

/**
 * Who is calling: the actor their events record (`alice`, `alice:ci` for alice's token named ci, or
 * the name of one of the server's own tokens), the role they act with, and their user and session.
 */
export type Principal = { actor: string; role: Role; user?: string; session?: string };

/** Hono's environment for our routes. */
export type ApiEnv = { Variables: { actor: string; principal: Principal } };

import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { ulid } from 'ulid';
import { createApp } from '../api/app.ts';
import type { AuthMode } from '../api/env.ts';
import { openCredentialStore } from '../infra/accounts/credentials.ts';
import { retryForever } from '../infra/backoff.ts';
import { type BrokerAuthority, loadBrokerAuthority } from '../infra/broker/authority.ts';
import { brokerFiles } from '../infra/broker/init.ts';
import { jetStreamEventStore } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { connectNats, type NatsAuth, redactUrl } from '../infra/nats/connection.ts';
import { ensureFleetResources, openOutputStore, openSchedulerState, openViews } from '../infra/nats/fleet.ts';
import { openEnrollmentSecrets } from '../infra/nats/secrets.ts';
import { ensureStream, eventsStreamConfig } from '../infra/nats/streams.ts';
import { createOutputEnricher } from '../projections/executions/output.ts';
import { createReadModels, eventLogSource, heartbeatSource } from '../projections/index.ts';
import { createWebApp } from '../web/app.ts';
import { startDispatcher } from './dispatch/dispatcher.ts';
import { startEnrollmentResponder } from './enrollment/responder.ts';
import { startRevocationSync } from './enrollment/revocations.ts';
import { createLoopHealth, type LoopHealth } from './loopHealth.ts';
import { countAppends, scrapeFailed, scrapeSources, startMetrics } from './metrics.ts';
import { startReaper } from './reaper.ts';
import { startScheduler } from './scheduler/scheduler.ts';
import { loadCommandSigner, publishTrust } from './signing.ts';
import { startViewsWriter } from './viewsWriter.ts';

// How long requests in flight may take to finish when the server stops.
const CLOSE_GRACE_MS = 2_000;

/** What `kanade server` needs to run. */
export type ServerConfig = {
  nats: { url: string; auth?: NatsAuth };
  /**
   * A broker directory (`kanade broker init`): with it the server issues each approved agent its own
   * broker credential and revokes terminated ones. Without it the broker's own setup is all there is.
   */
  brokerDir?: string;
  /** The command-signing key file (default `<dataDir>/signing.nk`) and, during a rotation, the previous key. */
  signing?: { keyFile?: string; previousKeyFile?: string };
  /**
   * Copies JetStream keeps of every stream and bucket (a cluster: 3); existing ones are scaled to it.
   * Unset: new ones get one, existing ones keep theirs.
   */
  replicas?: number;
  dataDir: string;
  host: string;
  port: number;
  auth: AuthMode;
  log: Logger;
  /** Longest wait for a `min_seq` read (default 5 s). */
  minSeqWaitMs?: number;
  /** How long an agent's broker credential is valid (default 12 h; agents renew it at half-life). */
  agentCredentialLifetimeS?: number;
  /** Serve `GET /metrics` without a token (KANADE_METRICS_PUBLIC=1); by default it needs one, like the API. */
  metricsPublic?: boolean;
  /** People other than the requester who must approve each ad-hoc run (default 0: none). */
  adhocApprovers?: number;
};

/** A running server. */
export type RunningServer = {
  url: string;
  readModels: ReturnType<typeof createReadModels>;
  /** Settles when the server cannot go on (its broker credential was refused for good). */
  fatal: Promise<Error>;
  close(): Promise<void>;
};

// `env` is what @hono/node-server passes (the incoming request: its socket tells the client's address).
type Handler = (request: Request, env?: unknown) => Response | Promise<Response>;

/**
 * Starts the server: takes its HTTP port first (a port in use fails at once, before anything else
 * starts), then connects to NATS (waiting for it if it is not up yet), creates or updates the streams,
 * KV views and stores, builds and follows the read models, keeps the agents' views current, dispatches
 * execs, fires schedules (when it holds the scheduler lease), answers enrollment requests, and serves
 * the HTTP API and the dashboard.
 */
export const startServer = async (config: ServerConfig): Promise<RunningServer> => {
  const { log } = config;
  let handler: Handler = () =>
    new Response(JSON.stringify({ status: 'starting' }), {
      status: 503,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '1' },
    });
  const http = await listen((request, env) => handler(request, env), config.host, config.port);
  const address = http.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const closeHttp = () =>
    new Promise<void>((resolve) => {
      http.close(() => resolve());
      if (!('closeIdleConnections' in http)) return;
      http.closeIdleConnections();
      // Requests in flight get a moment to finish; kept-alive connections after that are cut.
      setTimeout(() => http.closeAllConnections(), CLOSE_GRACE_MS).unref();
    });
  let roles: Awaited<ReturnType<typeof startRoles>>;
  try {
    roles = await startRoles(config);
  } catch (error) {
    await closeHttp();
    throw error;
  }
  handler = roles.fetch;
  log.info('API listening', { url });
  return {
    url,
    readModels: roles.readModels,
    fatal: roles.fatal,
    close: async () => {
      roles.web.close(); // live-update streams would hold the HTTP server open
      await closeHttp();
      await roles.close();
    },
  };
};

const startRoles = async (config: ServerConfig) => {
  const { log } = config;
  log.info('connecting to NATS', { url: redactUrl(config.nats.url) });
  const authority =
    config.brokerDir === undefined ? undefined : loadBrokerAuthority(config.brokerDir, config.agentCredentialLifetimeS);
  // With a broker directory and no credential of its own, the server uses the directory's server.creds.
  const given = config.nats.auth ?? {};
  const natsAuth =
    authority === undefined || authenticates(given)
      ? given
      : { ...given, credsFile: brokerFiles(authority.dir).serverCreds };
  const nc = await connectNats({ url: config.nats.url, name: 'kanade-server', log: log.child('nats'), auth: natsAuth });
  const fatal = closedForGood(nc, log);
  if (authority === undefined)
    log.warn(
      'no broker directory (--broker-dir): agents get no credentials of their own, and the broker must be secured by other means',
    );
  const jsm = await retryForever('open JetStream', () => jetstreamManager(nc), log);
  await retryForever(
    'create or update the event stream',
    () => ensureStream(jsm, eventsStreamConfig(config.replicas), log),
    log,
  );
  await retryForever(
    'create or update the fleet resources',
    () => ensureFleetResources(nc, jsm, log, config.replicas),
    log,
  );
  const js = jetstream(nc);
  const views = await retryForever('open the agent views', () => openViews(nc), log);
  const signer = loadCommandSigner({
    keyFile: config.signing?.keyFile ?? join(config.dataDir, 'signing.nk'),
    previousKeyFile: config.signing?.previousKeyFile,
    log,
  });
  await retryForever(
    'publish the trusted signing keys',
    () => publishTrust(views.fleet, signer, () => new Date(), log),
    log,
  );
  const secrets = await retryForever('open the secret store', () => openEnrollmentSecrets(nc), log);
  const credentials = await retryForever(
    'open the credential store',
    () => openCredentialStore(nc, config.replicas),
    log,
  );
  const outputStore = once(() => openOutputStore(nc));
  const loops = createLoopHealth(log);
  const { metrics, observe } = await startMetrics(jsm, log);
  const readModels = createReadModels({
    dir: join(config.dataDir, 'readmodels'),
    js,
    jsm,
    log: log.child('projections'),
    sources: [eventLogSource(createOutputEnricher({ js, objects: outputStore })), heartbeatSource],
    observe,
  });
  // Nothing is appended while the read models belong to another history of the stream.
  const store = countAppends(
    jetStreamEventStore(js, jsm, { msgIdKey: signer.msgIdKey, refuseWrites: readModels.writeRefusal }),
    metrics,
  );
  const starting = readModels.start().catch((error: unknown) => log.error('read models failed to start', { error }));
  const viewsWriter = startViewsWriter({
    js,
    jsm,
    views,
    sign: signer.signView,
    signedBy: signer.publicKey,
    log: log.child('views'),
    health: loops.loop('views'),
  });
  const now = () => new Date();
  metrics.collectFrom(scrapeSources({ jsm, readModels, views: viewsWriter, now }), scrapeFailed(log));
  const dispatcher = startDispatcher({
    readModels,
    views: viewsWriter,
    store,
    js,
    jsm,
    nc,
    pins: views.pins,
    signer,
    health: loops.loop('dispatcher'),
    log: log.child('dispatcher'),
    now,
    metrics,
  });
  const reaper = startReaper({ readModels, store, log: log.child('reaper'), now, health: loops.loop('reaper') });
  const schedulerState = await retryForever('open the scheduler state', () => openSchedulerState(nc), log);
  const scheduler = startScheduler({
    nc,
    jsm,
    store,
    readModels,
    now,
    newId: ulid,
    state: schedulerState,
    log: log.child('scheduler'),
    health: loops.loop('scheduler'),
  });
  // The responder answers on reply subjects requesters choose: with broker authorization it has a
  // connection of its own that may publish into the inboxes only.
  const responderNc =
    authority === undefined
      ? nc
      : await connectNats({
          url: config.nats.url,
          name: 'kanade-enrollment-responder',
          log: log.child('enrollment'),
          auth: tlsOf(config.nats.auth),
          authenticator: credsAuthenticator(await authority.responderCreds()),
        });
  const responder = startEnrollmentResponder({
    nc: responderNc,
    store,
    secrets,
    authority,
    trustedKeys: signer.trustedKeys,
    now,
    log: log.child('enrollment'),
  });
  const revocations =
    authority === undefined ? undefined : await startRevocations(authority, readModels, config.nats, log, loops);
  const app = createApp({
    nc,
    jsm,
    store,
    secrets,
    credentials,
    readModels,
    background: loops.status,
    auth: config.auth,
    log: log.child('api'),
    now,
    newId: ulid,
    ...(config.minSeqWaitMs === undefined ? {} : { minSeqWaitMs: config.minSeqWaitMs }),
    metrics: { ...metrics, public: config.metricsPublic === true },
    adhocApprovers: config.adhocApprovers ?? 0,
  });
  const web = createWebApp({
    callApi: (request, env) => app.fetch(request, env),
    insecure: config.auth.kind === 'insecure',
    live: readModels,
    log: log.child('web'),
  });
  // /api, /health and /metrics are the API; everything else is the dashboard (a client of the API, in process).
  const fetch: Handler = (request, env) => {
    const { pathname } = new URL(request.url);
    return pathname.startsWith('/api/') || pathname === '/api' || pathname === '/health' || pathname === '/metrics'
      ? app.fetch(request, env)
      : web.app.fetch(request, env);
  };
  return {
    fetch,
    web,
    readModels,
    fatal,
    close: async () => {
      await responder.stop();
      if (responderNc !== nc) await responderNc.drain().catch(() => {});
      await revocations?.stop();
      await scheduler.stop();
      await dispatcher.stop();
      reaper.stop();
      await viewsWriter.stop();
      await readModels.stop();
      await starting;
      await nc.drain().catch(() => {});
    },
  };
};

// The TLS part of the server's NATS settings (the other connections authenticate differently).
const tlsOf = (auth: NatsAuth | undefined): NatsAuth => {
  const { tlsCaFile, tlsCertFile, tlsKeyFile } = auth ?? {};
  return Object.fromEntries(
    Object.entries({ tlsCaFile, tlsCertFile, tlsKeyFile }).filter(([, v]) => v !== undefined),
  ) as NatsAuth;
};

const authenticates = (auth: NatsAuth) =>
  [auth.credsFile, auth.nkeySeedFile, auth.user, auth.token].some((v) => v !== undefined);

// A credential the broker stops accepting (revoked, expired) closes the connection for good: say so.
const closedForGood = (nc: NatsConnection, log: Logger): Promise<Error> =>
  new Promise((resolve) => {
    void nc.closed().then((error) => {
      if (error === undefined) return; // a clean close (the server stopping)
      log.error('the NATS connection closed for good; the server cannot go on', { error });
      resolve(error);
    });
  });

const once = <T>(make: () => Promise<T>) => {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
};

// The system-account connection pushes revocations; it is the server's only use of that account.
const startRevocations = async (
  authority: BrokerAuthority,
  readModels: ReturnType<typeof createReadModels>,
  nats: ServerConfig['nats'],
  log: Logger,
  loops: LoopHealth,
) => {
  const system = await connectNats({
    url: nats.url,
    name: 'kanade-server-system',
    log: log.child('broker'),
    auth: { ...tlsOf(nats.auth), credsFile: brokerFiles(authority.dir).systemCreds },
  });
  const sync = startRevocationSync({
    readModels,
    authority,
    system,
    log: log.child('broker'),
    health: loops.loop('revocations'),
  });
  return {
    stop: async () => {
      await sync.stop();
      await system.drain().catch(() => {});
    },
  };
};

const listen = (fetch: Handler, hostname: string, port: number) =>
  new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', reject);
  });

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Authenticator,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import { backoffDelay } from '../backoff.ts';
import type { Logger } from '../log.ts';

/**
 * How to prove who we are to the broker, and how to trust it. At most one of creds, nkey seed,
 * user/password and token; TLS on `tls://` URLs or whenever a CA or client certificate is given.
 */
export type NatsAuth = {
  /** A NATS credentials file (user JWT and nkey seed), as `nsc` or `kanade broker init` write them. */
  credsFile?: string;
  /** A file holding an nkey seed (`SU…`). */
  nkeySeedFile?: string;
  user?: string;
  password?: string;
  token?: string;
  /** CA bundle the broker's certificate must chain to. */
  tlsCaFile?: string;
  /** Client certificate and key, for brokers that verify clients (mTLS). */
  tlsCertFile?: string;
  tlsKeyFile?: string;
};

/** Options for a long-lived connection to the broker. */
export type NatsOptions = {
  url: string;
  name: string;
  log: Logger;
  auth?: NatsAuth;
  /** Replaces the authentication from `auth` (an agent swaps its credentials while connected). */
  authenticator?: Authenticator;
  /** Prefix of this connection's reply subjects (a restricted credential may only subscribe to its own). */
  inboxPrefix?: string;
  /** One-shot tools fail instead of waiting forever for a broker that is not there. */
  failFast?: boolean;
};

/** The broker refused us (credentials, authorization or TLS): retrying would not help, so say why. */
export class BrokerRefused extends Error {
  constructor(url: string, reason: string) {
    super(`NATS at ${url} refused the connection: ${reason}`);
    this.name = 'BrokerRefused';
  }
}

/**
 * Connects to NATS and keeps reconnecting forever, including when the broker is not up yet: every
 * kanade process must survive a cold or restarting broker. A refusal (bad credentials, permissions,
 * a certificate the broker does not accept) is not retried: it throws `BrokerRefused` with the reason.
 * Credentials never reach a log line; URLs are logged without their user information.
 */
export const connectNats = async (options: NatsOptions): Promise<NatsConnection> => {
  const { log, failFast = false } = options;
  const { servers, auth } = splitCredentials(options.url, options.auth ?? {});
  const where = servers.join(',');
  const authenticator = options.authenticator ?? authenticatorFor(auth);
  const base: ConnectionOptions = {
    servers,
    name: options.name,
    waitOnFirstConnect: false,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    pingInterval: 20_000,
    // nats.js otherwise builds an Error (a stack capture) per request up front, in case it fails:
    // 10 % of an agent process's time under a burst. Failed requests keep their message, not the caller's frames.
    noAsyncTraces: true,
    timeout: failFast ? 5_000 : 20_000,
    ...(authenticator === undefined ? {} : { authenticator }),
    ...(options.inboxPrefix === undefined ? {} : { inboxPrefix: options.inboxPrefix }),
    ...tlsOptions(where, auth),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const nc = await connect(base);
      if (attempt > 0) log.info('connected to NATS', { url: where });
      watchStatus(nc, log);
      return nc;
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal !== undefined) throw new BrokerRefused(where, refusal);
      // A broker that refuses a client certificate closes the connection after the handshake: the
      // client only sees silence. Say what it probably means.
      const hint = base.tls !== undefined && isTimeout(error) ? TLS_SILENCE : undefined;
      if (failFast && attempt >= 1) throw hint === undefined ? error : new BrokerRefused(where, hint);
      if (attempt === 0)
        log.warn('NATS is not reachable yet; waiting for it', {
          url: where,
          error,
          ...(hint === undefined ? {} : { hint }),
        });
      await sleep(backoffDelay(attempt, { minMs: 500, maxMs: 5_000 }));
    }
  }
};

const TLS_SILENCE =
  'no answer after the TLS handshake: the broker probably refused the client certificate (--nats-cert, --nats-key)';
const isTimeout = (error: unknown) => (error as { name?: string } | undefined)?.name === 'TimeoutError';

/** A URL for logs: user information removed (`nats://user:pass@host` → `nats://host`). */
export const redactUrl = (url: string): string =>
  url
    .split(',')
    .map((server) => server.replace(/^(\s*[a-z]+:\/\/).*@([^@]*)$/i, '$1$2'))
    .join(',');

// The client ignores credentials inside URLs: take them out and use them as user/password or token.
const splitCredentials = (url: string, auth: NatsAuth): { servers: string[]; auth: NatsAuth } => {
  let found: NatsAuth = {};
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((server) => {
      // The user information is everything up to the last @ (a password may hold @, : or /).
      const match = /^([a-z]+:\/\/)(.*)@([^@]*)$/i.exec(server);
      if (match === null) return server;
      const [, scheme, userinfo = '', rest] = match;
      const colon = userinfo.indexOf(':');
      const decode = (part: string) => {
        try {
          return decodeURIComponent(part);
        } catch {
          return part;
        }
      };
      found =
        colon === -1
          ? { token: decode(userinfo) }
          : { user: decode(userinfo.slice(0, colon)), password: decode(userinfo.slice(colon + 1)) };
      return `${scheme}${rest}`;
    });
  const explicit = auth.credsFile ?? auth.nkeySeedFile ?? auth.user ?? auth.token;
  return { servers, auth: explicit === undefined ? { ...auth, ...found } : auth };
};

const authenticatorFor = (auth: NatsAuth): Authenticator | undefined => {
  const chosen = [auth.credsFile, auth.nkeySeedFile, auth.user, auth.token].filter((v) => v !== undefined);
  if (chosen.length > 1)
    throw new Error('give one way to authenticate to NATS: a credentials file, an nkey seed, a user, or a token');
  if (auth.credsFile !== undefined) return credsAuthenticator(readSecretFile(auth.credsFile, 'credentials'));
  if (auth.nkeySeedFile !== undefined)
    return nkeyAuthenticator(
      new TextEncoder().encode(readSecretFile(auth.nkeySeedFile, 'nkey seed').toString().trim()),
    );
  if (auth.user !== undefined) return usernamePasswordAuthenticator(auth.user, auth.password ?? '');
  if (auth.token !== undefined) return tokenAuthenticator(auth.token);
  return undefined;
};

const readSecretFile = (file: string, what: string): Uint8Array => {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read the NATS ${what} file ${file}: ${(error as Error).message}`);
  }
};

const tlsOptions = (servers: string, auth: NatsAuth): Pick<ConnectionOptions, 'tls'> => {
  const wanted =
    /(^|,)\s*tls:\/\//i.test(servers) ||
    auth.tlsCaFile !== undefined ||
    auth.tlsCertFile !== undefined ||
    auth.tlsKeyFile !== undefined;
  if (!wanted) return {};
  if ((auth.tlsCertFile === undefined) !== (auth.tlsKeyFile === undefined))
    throw new Error('a TLS client certificate needs its key, and a key its certificate');
  return {
    tls: {
      ...(auth.tlsCaFile === undefined ? {} : { caFile: auth.tlsCaFile }),
      ...(auth.tlsCertFile === undefined ? {} : { certFile: auth.tlsCertFile }),
      ...(auth.tlsKeyFile === undefined ? {} : { keyFile: auth.tlsKeyFile }),
    },
  };
};

// Errors that mean "the broker will not have us" rather than "the broker is not there".
const refusalOf = (error: unknown): string | undefined => {
  const e = error as { name?: string; message?: string; code?: string } | undefined;
  const message = e?.message ?? String(error);
  if (e?.name === 'AuthorizationError' || /authori[sz]ation violation|authentication/i.test(message))
    return `authorization violation (${message}); check the credentials (--nats-creds, KANADE_NATS_CREDS, …)`;
  if (e?.name === 'PermissionViolationError' || /permissions violation/i.test(message))
    return `permissions violation (${message})`;
  if (/certificate|self[- ]signed|SSL|TLS|handshake/i.test(`${message} ${e?.code ?? ''}`))
    return `TLS failed (${message}); check --nats-ca / --nats-cert / --nats-key and the tls:// URL`;
  if (/user authentication (expired|revoked)/i.test(message)) return message;
  return undefined;
};

const watchStatus = (nc: NatsConnection, log: Logger): void => {
  void (async () => {
    let down = false;
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' && !down) {
        down = true;
        log.warn('lost the connection to NATS; reconnecting', { server: redactUrl(String(s.server ?? '')) });
      } else if (s.type === 'reconnect') {
        down = false;
        log.info('reconnected to NATS', { server: redactUrl(String(s.server ?? '')) });
      } else if (s.type === 'error') log.error('NATS error', { error: s.error });
    }
  })();
};

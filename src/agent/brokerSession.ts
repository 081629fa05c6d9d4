import { setTimeout as sleep } from 'node:timers/promises';
import { type ClaimsData, decode, parseCreds, type User } from '@nats-io/jwt';
import type { KeyPair } from '@nats-io/nkeys';
import { credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { retryForever } from '../infra/backoff.ts';
import type { Logger } from '../infra/log.ts';
import { BrokerRefused, connectNats, type NatsAuth } from '../infra/nats/connection.ts';
import type { EnrollmentReply } from '../infra/nats/enrollment.ts';
import { agentInboxPrefix, ENROLL_INBOX_PREFIX, groupCommandFilter } from '../infra/nats/subjects.ts';
import { askToEnroll, type EnrollmentIdentity, enrollUntilApproved } from './enrollment.ts';
import { loadOrCreateIdentity, readAgentCreds, writeAgentCreds } from './identity.ts';
import { openTrust, type Trust } from './trust.ts';

/** How an agent reaches the broker before it has a credential of its own. */
export type AgentBrokerOptions = {
  url: string;
  /** The bootstrap credential (or, on a broker without JWT auth, the agent's only one) and TLS settings. */
  auth: NatsAuth;
  /** The enrollment token it was installed with. */
  enrollToken?: string;
};

/** An approved agent's connection, its trusted signing keys, and how to widen its credential. */
export type AgentSession = {
  nc: NatsConnection;
  trust: Trust;
  /**
   * The groups the current credential lets the agent read. After a membership change the agent asks
   * for a credential that covers the new groups (and reconnects with it) before it subscribes to them.
   */
  coveredGroups(groups: readonly string[]): string[];
  /** Gets a credential for `groups` from the server and reconnects with it (no-op without broker auth). */
  refreshCredentials(groups: readonly string[]): Promise<void>;
  /** Stops renewing the credential. */
  close(): void;
};

// A credential is renewed at half its life, and at once when it has less than this left.
const RENEW_MARGIN_S = 120;
const RENEW_RETRY_MS = 60_000;

/**
 * Connects an agent: enrolls first when this data dir holds no approval (with the bootstrap
 * credential, which may only ask to enroll), or renews its credential that way when it expired while
 * the agent was away, was refused by the broker, or `renew` says so; then connects with its own
 * credential — a user JWT bound to its key, scoped to its subjects, valid for hours and renewed at
 * half-life — or, on a broker without JWT auth, with the options given. A terminated agent gets
 * `AgentTerminated`.
 */
export const openAgentSession = async (o: {
  pcId: string;
  dataDir: string;
  broker: AgentBrokerOptions;
  identity: EnrollmentIdentity;
  log: Logger;
  signal: AbortSignal;
  renew?: boolean;
}): Promise<AgentSession> => {
  const { key, created } = loadOrCreateIdentity(o.dataDir);
  if (created) o.log.info('made this agent a key pair', { public_key: key.getPublicKey() });
  const trust = openTrust(o.dataDir);
  const identity = { ...o.identity, ...(o.broker.enrollToken === undefined ? {} : { token: o.broker.enrollToken }) };
  const ctx = { ...o, key, trust, identity };
  let creds = readAgentCreds(o.dataDir);
  const stale = async () => {
    if (creds === undefined || o.renew === true) return true;
    const c = await claimsOf(creds);
    return secondsLeft(c) < marginOf(c);
  };
  // Not approved on this data dir yet, or its credential is missing, refused or about to expire: ask.
  if (!trust.pinned() || (trust.expectsCredential() && (await stale()))) creds = await enroll(ctx);

  const connect = () =>
    connectNats({
      url: o.broker.url,
      name: `kanade-agent-${o.pcId}`,
      log: o.log,
      inboxPrefix: agentInboxPrefix(o.pcId),
      ...(creds === undefined
        ? { auth: o.broker.auth }
        : { auth: pickTls(o.broker.auth), authenticator: credsAuthenticator(() => creds as Uint8Array) }),
    });
  let nc: NatsConnection;
  try {
    nc = await connect();
  } catch (error) {
    if (!(error instanceof BrokerRefused) || creds === undefined) throw error;
    o.log.warn("the broker refused this agent's credential; asking the server for a new one", { error });
    creds = await enroll(ctx);
    nc = await connect();
  }
  let claims = creds === undefined ? undefined : await claimsOf(creds);

  const renew = async (why: string) => {
    const reply = await askToEnroll(nc, key, identity, Date.now);
    const jwt = approvedJwt(reply, key);
    creds = writeAgentCreds(o.dataDir, jwt, key);
    claims = await claimsOf(creds);
    await nc.reconnect();
    o.log.info(`reconnected with a renewed credential (${why})`, { expires: new Date((claims.exp ?? 0) * 1000) });
  };
  const renewing = new AbortController();
  if (claims !== undefined) void keepRenewed(() => claims, renew, o.log, renewing.signal);
  return {
    nc,
    trust,
    coveredGroups: (groups) =>
      claims === undefined ? [...groups] : groups.filter((g) => allowsSubscribe(claims, groupCommandFilter(g))),
    refreshCredentials: async (groups) => {
      if (creds === undefined || groups.every((g) => allowsSubscribe(claims, groupCommandFilter(g)))) return;
      await renew(`groups ${groups.join(', ')}`);
    },
    close: () => renewing.abort(),
  };
};

/** The agent was terminated (decommissioned): it can never work again with this key. */
export class AgentTerminated extends Error {
  constructor(reason: string) {
    super(
      `this agent was terminated by an operator (${reason}); to enroll again, remove agent.nk, agent.creds and trust.json from its data dir`,
    );
    this.name = 'AgentTerminated';
  }
}

// Renews the credential at half its life; a failed renewal is retried every minute until it works.
const keepRenewed = async (
  claims: () => ClaimsData<User> | undefined,
  renew: (why: string) => Promise<void>,
  log: Logger,
  signal: AbortSignal,
) => {
  while (!signal.aborted) {
    const c = claims();
    if (c?.exp === undefined) return;
    const half = Math.max(1, Math.floor((c.exp - c.iat) / 2));
    const wait = Math.max(0, (c.iat + half) * 1000 - Date.now());
    await sleep(wait, undefined, { signal }).catch(() => {});
    while (!signal.aborted) {
      try {
        await renew('half its life');
        break;
      } catch (error) {
        log.warn('could not renew the credential yet; retrying in a minute', { error });
        await sleep(RENEW_RETRY_MS, undefined, { signal }).catch(() => {});
      }
    }
  }
};

const enroll = async (o: {
  pcId: string;
  dataDir: string;
  broker: AgentBrokerOptions;
  identity: EnrollmentIdentity;
  key: KeyPair;
  trust: Trust;
  log: Logger;
  signal: AbortSignal;
}): Promise<Uint8Array | undefined> => {
  const bootstrap = await retryForever(
    'connect with the bootstrap credential',
    () =>
      connectNats({
        url: o.broker.url,
        name: `kanade-enroll-${o.pcId}`,
        log: o.log,
        auth: o.broker.auth,
        inboxPrefix: ENROLL_INBOX_PREFIX,
      }),
    o.log,
    { signal: o.signal },
  );
  try {
    const approval = await enrollUntilApproved({
      nc: bootstrap,
      key: o.key,
      identity: o.identity,
      log: o.log,
      signal: o.signal,
      onTerminated: (reason) => {
        throw new AgentTerminated(reason);
      },
    });
    const creds =
      approval.jwt === undefined ? undefined : writeAgentCreds(o.dataDir, approvedJwt(approval, o.key), o.key);
    // Keys pinned at the first approval are kept: a later renewal learns rotations from the trust list.
    if (!o.trust.pinned()) o.trust.pin(approval.trusted_keys ?? [], creds !== undefined);
    o.log.info('enrollment approved', { pc_id: o.pcId, broker_credential: creds !== undefined });
    return creds;
  } finally {
    await bootstrap.close().catch(() => {});
  }
};

// The credential in an approval, refused unless it is bound to this agent's own key.
const approvedJwt = (reply: EnrollmentReply, key: KeyPair): string => {
  if (reply.status !== 'approved' || reply.jwt === undefined)
    throw new Error(`the server did not renew this agent's credential: ${reply.status} ${reply.reason ?? ''}`);
  const claims = decode<User>(reply.jwt);
  if (claims.sub !== key.getPublicKey()) throw new Error("the credential the server sent is not for this agent's key");
  return reply.jwt;
};

const pickTls = (auth: NatsAuth): NatsAuth => ({
  ...(auth.tlsCaFile === undefined ? {} : { tlsCaFile: auth.tlsCaFile }),
  ...(auth.tlsCertFile === undefined ? {} : { tlsCertFile: auth.tlsCertFile }),
  ...(auth.tlsKeyFile === undefined ? {} : { tlsKeyFile: auth.tlsKeyFile }),
});

const claimsOf = async (creds: Uint8Array): Promise<ClaimsData<User>> => decode<User>((await parseCreds(creds)).jwt);

// How close to its expiry a credential counts as expired already (a quarter of its life, at most 2 min).
const marginOf = (claims: ClaimsData<User>) =>
  claims.exp === undefined ? 0 : Math.min(RENEW_MARGIN_S, Math.floor((claims.exp - claims.iat) / 4));

const secondsLeft = (claims: ClaimsData<User>) =>
  claims.exp === undefined ? Number.POSITIVE_INFINITY : claims.exp - Math.floor(Date.now() / 1000);

const allowsSubscribe = (claims: ClaimsData<User> | undefined, subject: string): boolean =>
  claims === undefined || (claims.nats.sub?.allow ?? []).includes(subject);

import { type ClaimsData, decode, parseCreds, type User } from '@nats-io/jwt';
import type { KeyPair } from '@nats-io/nkeys';
import { credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { retryForever } from '../infra/backoff.ts';
import type { Logger } from '../infra/log.ts';
import { connectNats, type NatsAuth } from '../infra/nats/connection.ts';
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
};

/**
 * Connects an agent: enrolls first when this data dir holds no approval (with the bootstrap
 * credential, which may only ask to enroll), then connects with its own credential — a user JWT bound
 * to its key, scoped to its subjects — or, on a broker without JWT auth, with the options given.
 */
export const openAgentSession = async (o: {
  pcId: string;
  dataDir: string;
  broker: AgentBrokerOptions;
  identity: EnrollmentIdentity;
  log: Logger;
  signal: AbortSignal;
}): Promise<AgentSession> => {
  const { key, created } = loadOrCreateIdentity(o.dataDir);
  if (created) o.log.info('made this agent a key pair', { public_key: key.getPublicKey() });
  const trust = openTrust(o.dataDir);
  let creds = readAgentCreds(o.dataDir);
  const identity = { ...o.identity, ...(o.broker.enrollToken === undefined ? {} : { token: o.broker.enrollToken }) };
  // Not approved on this data dir yet, or its credential went missing: ask (again).
  if (!trust.pinned() || (trust.expectsCredential() && creds === undefined))
    creds = await enroll({ ...o, key, trust, identity });

  const tlsOnly = pickTls(o.broker.auth);
  const nc = await connectNats({
    url: o.broker.url,
    name: `kanade-agent-${o.pcId}`,
    log: o.log,
    inboxPrefix: agentInboxPrefix(o.pcId),
    ...(creds === undefined
      ? { auth: o.broker.auth }
      : { auth: tlsOnly, authenticator: credsAuthenticator(() => creds as Uint8Array) }),
  });
  let claims = creds === undefined ? undefined : await claimsOf(creds);
  return {
    nc,
    trust,
    coveredGroups: (groups) =>
      claims === undefined ? [...groups] : groups.filter((g) => allowsSubscribe(claims, groupCommandFilter(g))),
    refreshCredentials: async (groups) => {
      if (creds === undefined || groups.every((g) => allowsSubscribe(claims, groupCommandFilter(g)))) return;
      const reply = await askToEnroll(nc, key, identity, Date.now);
      if (reply.status !== 'approved' || reply.jwt === undefined)
        throw new Error(`the server did not renew this agent's credential: ${reply.status} ${reply.reason ?? ''}`);
      creds = writeAgentCreds(o.dataDir, reply.jwt, key);
      claims = await claimsOf(creds);
      await nc.reconnect();
      o.log.info('reconnected with a credential for the new groups', { groups });
    },
  };
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
    });
    const creds = approval.jwt === undefined ? undefined : writeAgentCreds(o.dataDir, approval.jwt, o.key);
    o.trust.pin(approval.trusted_keys ?? [], creds !== undefined);
    o.log.info('enrollment approved', { pc_id: o.pcId, broker_credential: creds !== undefined });
    return creds;
  } finally {
    await bootstrap.close().catch(() => {});
  }
};

const pickTls = (auth: NatsAuth): NatsAuth => ({
  ...(auth.tlsCaFile === undefined ? {} : { tlsCaFile: auth.tlsCaFile }),
  ...(auth.tlsCertFile === undefined ? {} : { tlsCertFile: auth.tlsCertFile }),
  ...(auth.tlsKeyFile === undefined ? {} : { tlsKeyFile: auth.tlsKeyFile }),
});

const claimsOf = async (creds: Uint8Array): Promise<ClaimsData<User>> => decode<User>((await parseCreds(creds)).jwt);

const allowsSubscribe = (claims: ClaimsData<User> | undefined, subject: string): boolean =>
  claims === undefined || (claims.nats.sub?.allow ?? []).includes(subject);

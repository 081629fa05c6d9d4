import { existsSync, readFileSync } from 'node:fs';
import {
  type Account,
  type ClaimsData,
  decode,
  encodeAccount,
  encodeUser,
  fmtCreds,
  fromSeed,
  type KeyPair,
} from '@nats-io/jwt';
import { createUser } from '@nats-io/nkeys';
import type { NatsConnection } from '@nats-io/transport-node';
import { type BrokerManifest, brokerFiles } from './init.ts';
import { agentPermissions, responderPermissions } from './permissions.ts';

/** How long an agent's credential is valid; agents renew it at half its life (and after a long absence). */
export const AGENT_CREDENTIAL_LIFETIME_S = 12 * 3600;

/**
 * The kanade server's part of broker authorization: it holds the account signing key (to issue each
 * approved agent a credential bound to its own key, scoped to its own subjects, valid for a limited
 * time) and the operator signing key (to re-sign the account with the keys of terminated agents
 * revoked).
 */
export type BrokerAuthority = {
  dir: string;
  manifest: BrokerManifest;
  /** A user JWT for an agent's public key, with the permissions of its pc id and groups. */
  issueAgentJwt(agent: { pcId: string; publicKey: string; groups: readonly string[] }, now: Date): Promise<string>;
  /** How long an agent's credential is valid, in seconds. */
  lifetimeS: number;
  /** A credential for the enrollment responder: it may read `kanade.enroll` and answer into the inboxes. */
  responderCreds(): Promise<Uint8Array>;
  /** The kanade account as the broker holds it, re-signed with these revocations (public key → unix seconds). */
  accountJwt(current: ClaimsData<Account>, revocations: Readonly<Record<string, number>>): Promise<string>;
};

const readSeed = (file: string): KeyPair => {
  if (!existsSync(file)) throw new Error(`the broker directory lacks ${file}`);
  return fromSeed(new TextEncoder().encode(readFileSync(file, 'utf8').trim()));
};

/** Loads a broker directory written by `kanade broker init` (or laid out by hand from an nsc operator). */
export const loadBrokerAuthority = (dir: string, lifetimeS: number = AGENT_CREDENTIAL_LIFETIME_S): BrokerAuthority => {
  const files = brokerFiles(dir);
  if (!existsSync(files.manifest)) throw new Error(`${dir} is not a broker directory (no broker.json)`);
  const manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as BrokerManifest;
  const accountSigning = readSeed(files.accountSigningSeed);
  const operatorSigning = readSeed(files.operatorSigningSeed);
  const issue = (name: string, publicKey: string, permissions: object, exp?: number) =>
    encodeUser(
      name,
      publicKey,
      manifest.account,
      { ...permissions, subs: -1, data: -1, payload: -1 },
      { signer: accountSigning, ...(exp === undefined ? {} : { exp }) },
    );
  return {
    dir,
    manifest,
    lifetimeS,
    issueAgentJwt: ({ pcId, publicKey, groups }, now) =>
      issue(`agent:${pcId}`, publicKey, agentPermissions(pcId, groups), Math.floor(now.getTime() / 1000) + lifetimeS),
    responderCreds: async () => {
      const key = createUser();
      return fmtCreds(await issue('kanade-enrollment-responder', key.getPublicKey(), responderPermissions()), key);
    },
    // The broker's current account claims are the template (an operator may have changed limits with
    // nsc since `broker init`); only the revocations change.
    accountJwt: (current, revocations) =>
      encodeAccount(
        current.name,
        manifest.account,
        { ...current.nats, revocations: { ...revocations } },
        {
          signer: operatorSigning,
        },
      ),
  };
};

const CLAIMS_TIMEOUT_MS = 5_000;

/** The account JWT the broker holds now (its revocations are the ones in force). */
export const lookupAccountClaims = async (sys: NatsConnection, account: string): Promise<ClaimsData<Account>> => {
  const reply = await sys.request(`$SYS.REQ.ACCOUNT.${account}.CLAIMS.LOOKUP`, '', { timeout: CLAIMS_TIMEOUT_MS });
  return decode<Account>(reply.string().trim());
};

/** Pushes an account JWT to the broker's resolver (it disconnects revoked users at once). */
export const pushAccountJwt = async (sys: NatsConnection, jwt: string): Promise<void> => {
  const reply = await sys.request('$SYS.REQ.CLAIMS.UPDATE', jwt, { timeout: CLAIMS_TIMEOUT_MS });
  const answer = JSON.parse(reply.string()) as { error?: { description?: string }; data?: { code?: number } };
  if (answer.error !== undefined || answer.data?.code !== 200)
    throw new Error(`the broker refused the account update: ${answer.error?.description ?? reply.string()}`);
};

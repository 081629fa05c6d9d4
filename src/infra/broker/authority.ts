import { existsSync, readFileSync } from 'node:fs';
import { type Account, type ClaimsData, decode, encodeAccount, encodeUser, fromSeed, type KeyPair } from '@nats-io/jwt';
import type { NatsConnection } from '@nats-io/transport-node';
import { type BrokerManifest, brokerFiles } from './init.ts';
import { agentPermissions } from './permissions.ts';

/**
 * The kanade server's part of broker authorization: it holds the account signing key (to issue each
 * approved agent a credential bound to its own key and scoped to its own subjects) and the operator
 * signing key (to re-sign the account with the keys of terminated agents revoked).
 */
export type BrokerAuthority = {
  dir: string;
  manifest: BrokerManifest;
  /** A user JWT for an agent's public key, with the permissions of its pc id and groups. */
  issueAgentJwt(agent: { pcId: string; publicKey: string; groups: readonly string[] }): Promise<string>;
  /** The kanade account's JWT with these revocations (public key → unix seconds). */
  accountJwt(revocations: Readonly<Record<string, number>>): Promise<string>;
};

const readSeed = (file: string): KeyPair => {
  if (!existsSync(file)) throw new Error(`the broker directory lacks ${file}`);
  return fromSeed(new TextEncoder().encode(readFileSync(file, 'utf8').trim()));
};

/** Loads a broker directory written by `kanade broker init` (or laid out by hand from an nsc operator). */
export const loadBrokerAuthority = (dir: string): BrokerAuthority => {
  const files = brokerFiles(dir);
  if (!existsSync(files.manifest)) throw new Error(`${dir} is not a broker directory (no broker.json)`);
  const manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as BrokerManifest;
  const accountSigning = readSeed(files.accountSigningSeed);
  const operatorSigning = readSeed(files.operatorSigningSeed);
  const template = decode<Account>(readFileSync(files.accountJwt, 'utf8').trim());
  if (template.sub !== manifest.account) throw new Error(`${files.accountJwt} is not the account broker.json names`);
  return {
    dir,
    manifest,
    issueAgentJwt: ({ pcId, publicKey, groups }) =>
      encodeUser(
        `agent:${pcId}`,
        publicKey,
        manifest.account,
        { ...agentPermissions(pcId, groups), subs: -1, data: -1, payload: -1 },
        { signer: accountSigning },
      ),
    accountJwt: (revocations) =>
      encodeAccount(
        template.name,
        manifest.account,
        { ...template.nats, revocations: { ...revocations } },
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

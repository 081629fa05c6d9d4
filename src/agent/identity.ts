import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmtCreds } from '@nats-io/jwt';
import { createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';

/** The agent's own key pair: made on first start, the seed never leaves the data dir (mode 0600). */
export const loadOrCreateIdentity = (dataDir: string): { key: KeyPair; created: boolean } => {
  const file = join(dataDir, 'agent.nk');
  if (existsSync(file))
    return { key: fromSeed(new TextEncoder().encode(readFileSync(file, 'utf8').trim())), created: false };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = createUser();
  writeFileSync(file, `${new TextDecoder().decode(key.getSeed())}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true };
};

/** Where the agent keeps its broker credential once approved: a standard NATS credentials file. */
export const agentCredsFile = (dataDir: string): string => join(dataDir, 'agent.creds');

/** The agent's credential file contents, or undefined before approval (or without broker authorization). */
export const readAgentCreds = (dataDir: string): Uint8Array | undefined => {
  const file = agentCredsFile(dataDir);
  return existsSync(file) ? readFileSync(file) : undefined;
};

/** Writes the credential for a JWT the server issued to this agent's key (mode 0600). */
export const writeAgentCreds = (dataDir: string, jwt: string, key: KeyPair): Uint8Array => {
  const creds = fmtCreds(jwt, key);
  writeFileSync(agentCredsFile(dataDir), creds, { mode: 0o600 });
  return creds;
};

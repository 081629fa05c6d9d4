import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type KeyPair,
  type OperatorLimits,
} from '@nats-io/jwt';
import { bootstrapPermissions } from './permissions.ts';

/** The files of a broker directory (what `kanade broker init` writes, and the server and agents read). */
export const brokerFiles = (dir: string) => ({
  /** Operator JWT: nats-server trusts every account it signed. */
  operatorJwt: join(dir, 'operator.jwt'),
  /** Identity seeds nothing running needs: move this folder offline once the broker runs. */
  offlineDir: join(dir, 'offline'),
  /** Operator identity seed: needed only to change the operator itself. */
  operatorSeed: join(dir, 'offline', 'operator.nk'),
  /** Operator signing seed: the kanade server re-signs its account with revocations. */
  operatorSigningSeed: join(dir, 'operator-signing.nk'),
  /** Account identity seed of the kanade account; needed only to replace its signing key. */
  accountSeed: join(dir, 'offline', 'account.nk'),
  /** Account signing seed: the kanade server issues agent credentials with it. */
  accountSigningSeed: join(dir, 'account-signing.nk'),
  /** The kanade account's JWT as created (the server keeps its settings when it adds revocations). */
  accountJwt: join(dir, 'account.jwt'),
  /** The system account's JWT. */
  systemJwt: join(dir, 'system.jwt'),
  /** A system-account user: pushes account updates (revocations) to the broker. */
  systemCreds: join(dir, 'system.creds'),
  /** The kanade server's user: every right in the kanade account (server, `fleet --direct`, `projections build`). */
  serverCreds: join(dir, 'server.creds'),
  /** The shared bootstrap user agents install with: it may only ask to enroll. */
  enrollCreds: join(dir, 'enroll.creds'),
  /** A nats-server configuration to include: operator mode with the `full` account resolver. */
  serverConfig: join(dir, 'nats-server.conf'),
  /** The account resolver's store (nats-server writes it). */
  resolverDir: join(dir, 'jwt'),
  /** Public facts about the above, for kanade and for people. */
  manifest: join(dir, 'broker.json'),
});

/** What `broker.json` holds: public keys only. */
export type BrokerManifest = {
  operator: string;
  operator_signing_key: string;
  system_account: string;
  account: string;
  account_name: string;
  account_signing_key: string;
  created_at: string;
};

/** Everything an account may use: nats-server treats a missing limit as zero. */
const UNLIMITED: OperatorLimits = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
const JETSTREAM: OperatorLimits = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

/** The kanade account's name in its JWT. */
export const ACCOUNT_NAME = 'KANADE';

const seedOf = (kp: KeyPair) => `${new TextDecoder().decode(kp.getSeed())}\n`;
const secret = (file: string, content: string | Uint8Array) => writeFileSync(file, content, { mode: 0o600 });

/**
 * Writes a broker directory for decentralized JWT auth (operator → system and kanade accounts →
 * users): the operator, account and user keys and JWTs, the server's, system and bootstrap
 * credentials, and a nats-server configuration to include. Refuses a directory that holds files.
 */
export const initBroker = async (out: string, now: Date = new Date()): Promise<BrokerManifest> => {
  const dir = resolve(out);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new Error(`${dir} is not empty; a broker directory holds keys, so it is never overwritten`);
  mkdirSync(join(dir, 'jwt'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // it may have existed (empty) with looser permissions
  const files = brokerFiles(dir);
  mkdirSync(files.offlineDir, { mode: 0o700 });
  const operator = createOperator();
  const operatorSigning = createOperator();
  const system = createAccount();
  const account = createAccount();
  const accountSigning = createAccount();

  const systemJwt = await encodeAccount('SYS', system, { limits: UNLIMITED }, { signer: operator });
  const accountJwt = await encodeAccount(
    ACCOUNT_NAME,
    account,
    { limits: { ...UNLIMITED, ...JETSTREAM }, signing_keys: [accountSigning.getPublicKey()] },
    { signer: operator },
  );
  const operatorJwt = await encodeOperator('kanade', operator, {
    system_account: system.getPublicKey(),
    signing_keys: [operatorSigning.getPublicKey()],
  });
  // System users are signed by the system account itself; kanade users by the account's signing key.
  const systemUser = async (name: string) => {
    const kp = createUser();
    return fmtCreds(await encodeUser(name, kp, system), kp);
  };
  const accountUser = async (name: string, permissions = {}) => {
    const kp = createUser();
    return fmtCreds(await encodeUser(name, kp, account.getPublicKey(), permissions, { signer: accountSigning }), kp);
  };

  writeFileSync(files.operatorJwt, `${operatorJwt}\n`);
  secret(files.operatorSeed, seedOf(operator));
  secret(files.operatorSigningSeed, seedOf(operatorSigning));
  secret(files.accountSeed, seedOf(account));
  secret(files.accountSigningSeed, seedOf(accountSigning));
  writeFileSync(files.accountJwt, `${accountJwt}\n`);
  writeFileSync(files.systemJwt, `${systemJwt}\n`);
  secret(files.systemCreds, await systemUser('kanade-system'));
  secret(files.serverCreds, await accountUser('kanade-server'));
  secret(files.enrollCreds, await accountUser('kanade-enroll', bootstrapPermissions()));
  writeFileSync(
    files.serverConfig,
    serverConfig(files, system.getPublicKey(), account.getPublicKey(), systemJwt, accountJwt),
  );
  const manifest: BrokerManifest = {
    operator: operator.getPublicKey(),
    operator_signing_key: operatorSigning.getPublicKey(),
    system_account: system.getPublicKey(),
    account: account.getPublicKey(),
    account_name: ACCOUNT_NAME,
    account_signing_key: accountSigning.getPublicKey(),
    created_at: now.toISOString(),
  };
  writeFileSync(files.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
};

const serverConfig = (
  files: ReturnType<typeof brokerFiles>,
  systemAccount: string,
  account: string,
  systemJwt: string,
  accountJwt: string,
) =>
  [
    '# Written by `kanade broker init`. Include it in the nats-server configuration:',
    '#   include "<this file>"',
    '# Operator mode: every client needs a credential signed for one of these accounts; anonymous',
    '# connections are refused. The full resolver keeps account updates (agent revocations) on disk.',
    `operator: ${JSON.stringify(files.operatorJwt)}`,
    `system_account: ${systemAccount}`,
    ...resolverConfig(files.resolverDir),
    'resolver_preload {',
    `  ${systemAccount}: ${systemJwt}`,
    `  ${account}: ${accountJwt}`,
    '}',
    '',
  ].join('\n');

/**
 * The account resolver block of a nats-server configuration: `full` keeps account updates (agent
 * revocations) on disk in `dir`. Each server of a cluster needs a directory of its own.
 */
export const resolverConfig = (dir: string): string[] => [
  'resolver {',
  '  type: full',
  `  dir: ${JSON.stringify(dir)}`,
  '  allow_delete: false',
  '  interval: "2m"',
  '}',
];

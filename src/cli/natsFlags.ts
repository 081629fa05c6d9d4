import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { brokerFiles } from '../infra/broker/init.ts';
import type { NatsAuth } from '../infra/nats/connection.ts';
import { type Args, type Flags, str, stringFlag } from './command.ts';
import type { CliConfig } from './config.ts';

/** The flags of every command that talks to NATS itself (each also has a KANADE_NATS_* variable). */
export const NATS_FLAGS = {
  'nats-url': str('the NATS broker; tls:// for TLS, comma-separated for a cluster', {
    default: '$KANADE_NATS_URL or nats://127.0.0.1:4222',
    value: 'url',
  }),
  'nats-creds': str('a NATS credentials file', {
    default: '$KANADE_NATS_CREDS, else the broker directory’s server.creds (agents: enroll.creds)',
    value: 'file',
  }),
  'nats-nkey': str('a file holding an nkey seed', { default: '$KANADE_NATS_NKEY', value: 'file' }),
  'nats-user': str('NATS user name', { default: '$KANADE_NATS_USER', value: 'name' }),
  'nats-password': str('NATS password (prefer $KANADE_NATS_PASSWORD: flags show in ps)', { value: 'password' }),
  'nats-token': str('a NATS token (prefer $KANADE_NATS_TOKEN)', { value: 'token' }),
  'nats-ca': str('CA bundle the broker’s certificate must chain to (turns TLS on)', {
    default: '$KANADE_NATS_CA, else the system CAs',
    value: 'file',
  }),
  'nats-cert': str('TLS client certificate (mTLS)', { default: '$KANADE_NATS_CERT', value: 'file' }),
  'nats-key': str('TLS client key (mTLS)', { default: '$KANADE_NATS_KEY', value: 'file' }),
} satisfies Flags;

const FIELDS: [keyof typeof NATS_FLAGS, keyof NatsAuth][] = [
  ['nats-creds', 'credsFile'],
  ['nats-nkey', 'nkeySeedFile'],
  ['nats-user', 'user'],
  ['nats-password', 'password'],
  ['nats-token', 'token'],
  ['nats-ca', 'tlsCaFile'],
  ['nats-cert', 'tlsCertFile'],
  ['nats-key', 'tlsKeyFile'],
];
const AUTH_FIELDS: (keyof NatsAuth)[] = ['credsFile', 'nkeySeedFile', 'user', 'password', 'token'];

/**
 * The broker URL and credentials of a command: flags first, then KANADE_NATS_*, then the credential
 * of the broker directory (KANADE_BROKER_DIR, or the sandbox's `<data-dir>/broker`) for the role: the
 * server's for operator tools, the bootstrap one for an agent. A way of authenticating given by a flag
 * replaces the environment's (a creds flag does not mix with a token variable); TLS settings combine.
 */
export const natsSettings = (
  args: Args,
  config: CliConfig,
  role: 'server' | 'agent' = 'server',
): { url: string; auth: NatsAuth } => {
  const flags: NatsAuth = {};
  for (const [flag, field] of FIELDS) {
    const value = stringFlag(args, flag);
    if (value !== undefined) flags[field] = value;
  }
  const flagsAuthenticate = AUTH_FIELDS.some((f) => flags[f] !== undefined);
  const base = flagsAuthenticate
    ? Object.fromEntries(Object.entries(config.natsAuth).filter(([k]) => !AUTH_FIELDS.includes(k as keyof NatsAuth)))
    : config.natsAuth;
  const auth = { ...base, ...flags };
  const fallback = AUTH_FIELDS.some((f) => auth[f] !== undefined) ? undefined : brokerCreds(config, role);
  return {
    url: stringFlag(args, 'nats-url') ?? config.natsUrl,
    auth: fallback === undefined ? auth : { ...auth, credsFile: fallback },
  };
};

/** The credential for `role` in the configured broker directory, or in the sandbox's, when there is one. */
export const brokerCreds = (config: CliConfig, role: 'server' | 'agent'): string | undefined =>
  [config.brokerDir, join(config.dataDir, 'broker')]
    .filter((d): d is string => d !== undefined)
    .map((d) => (role === 'server' ? brokerFiles(d).serverCreds : brokerFiles(d).enrollCreds))
    .find((f) => existsSync(f));

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NatsAuth } from '../infra/nats/connection.ts';

/** Settings from the environment; flags override them per command. */
export type CliConfig = {
  natsUrl: string;
  /** True when KANADE_NATS_URL was set: `kanade dev` then uses that broker instead of spawning one. */
  natsUrlFromEnv: boolean;
  /** How to authenticate to NATS and trust it (KANADE_NATS_CREDS, …); flags override each field. */
  natsAuth: NatsAuth;
  /** A broker directory (`kanade broker init`): the server then issues and revokes agent credentials. */
  brokerDir: string | undefined;
  /** The enrollment token an agent presents when it asks to enroll. */
  enrollToken: string | undefined;
  /** The server's command-signing key (an nkey seed file); default `<data-dir>/signing.nk`. */
  signingKeyFile: string | undefined;
  /** During a rotation: the key agents trust now, kept trusted while they learn the new one. */
  previousSigningKeyFile: string | undefined;
  apiUrl: string;
  token: string | undefined;
  dataDir: string;
  listen: string;
  natsServerBin: string | undefined;
  /** KANADE_REPLICAS: copies of every stream and bucket (checked where it is used). */
  replicas: string | undefined;
  /** Extra named API tokens for the server: `name=token,name=token`. */
  extraTokens: string | undefined;
  logLevel: string;
  path: string | undefined;
  /** `GET /metrics` on the server without a token (KANADE_METRICS_PUBLIC=1). */
  metricsPublic: boolean;
  /** KANADE_ADHOC_APPROVERS: people who must approve each ad-hoc run (checked where it is used). */
  adhocApprovers: string | undefined;
  /** An agent's metrics endpoint (KANADE_AGENT_METRICS_PORT; off when unset) and its address (default 127.0.0.1). */
  agentMetricsPort: string | undefined;
  agentMetricsHost: string | undefined;
};

/** Reads KANADE_* variables (the only place that reads the environment). */
export const readConfig = (env: NodeJS.ProcessEnv): CliConfig => ({
  natsUrl: env.KANADE_NATS_URL || 'nats://127.0.0.1:4222',
  natsUrlFromEnv: Boolean(env.KANADE_NATS_URL),
  natsAuth: natsAuthFrom(env),
  brokerDir: env.KANADE_BROKER_DIR ? resolve(env.KANADE_BROKER_DIR) : undefined,
  enrollToken: env.KANADE_ENROLL_TOKEN || undefined,
  signingKeyFile: env.KANADE_SIGNING_KEY ? resolve(env.KANADE_SIGNING_KEY) : undefined,
  previousSigningKeyFile: env.KANADE_PREVIOUS_SIGNING_KEY ? resolve(env.KANADE_PREVIOUS_SIGNING_KEY) : undefined,
  apiUrl: env.KANADE_API_URL || 'http://127.0.0.1:8080',
  token: env.KANADE_TOKEN || undefined,
  dataDir: resolve(env.KANADE_DATA_DIR || '.kanade'),
  listen: env.KANADE_LISTEN || '127.0.0.1:8080',
  natsServerBin: env.KANADE_NATS_SERVER_BIN || undefined,
  replicas: env.KANADE_REPLICAS || undefined,
  extraTokens: env.KANADE_TOKENS || undefined,
  logLevel: env.KANADE_LOG_LEVEL || 'info',
  path: env.PATH,
  metricsPublic: env.KANADE_METRICS_PUBLIC === '1' || env.KANADE_METRICS_PUBLIC === 'true',
  adhocApprovers: env.KANADE_ADHOC_APPROVERS || undefined,
  agentMetricsPort: env.KANADE_AGENT_METRICS_PORT || undefined,
  agentMetricsHost: env.KANADE_AGENT_METRICS_HOST || undefined,
});

const natsAuthFrom = (env: NodeJS.ProcessEnv): NatsAuth => {
  const pick = (name: string) => env[name] || undefined;
  const entries: [keyof NatsAuth, string | undefined][] = [
    ['credsFile', pick('KANADE_NATS_CREDS')],
    ['nkeySeedFile', pick('KANADE_NATS_NKEY')],
    ['user', pick('KANADE_NATS_USER')],
    ['password', pick('KANADE_NATS_PASSWORD')],
    ['token', pick('KANADE_NATS_TOKEN')],
    ['tlsCaFile', pick('KANADE_NATS_CA')],
    ['tlsCertFile', pick('KANADE_NATS_CERT')],
    ['tlsKeyFile', pick('KANADE_NATS_KEY')],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as NatsAuth;
};

/** The token a client sends: explicit, else KANADE_TOKEN, else the one `kanade server` wrote to the data dir. */
export const clientToken = (config: CliConfig, flag: string | undefined): string | undefined => {
  if (flag !== undefined && flag !== '') return flag;
  if (config.token !== undefined) return config.token;
  const file = resolve(config.dataDir, 'token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
};

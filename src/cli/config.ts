import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Settings from the environment; flags override them per command. */
export type CliConfig = {
  natsUrl: string;
  /** True when KANADE_NATS_URL was set: `kanade dev` then uses that broker instead of spawning one. */
  natsUrlFromEnv: boolean;
  apiUrl: string;
  token: string | undefined;
  dataDir: string;
  listen: string;
  natsServerBin: string | undefined;
  /** Extra named API tokens for the server: `name=token,name=token`. */
  extraTokens: string | undefined;
  logLevel: string;
  path: string | undefined;
};

/** Reads KANADE_* variables (the only place that reads the environment). */
export const readConfig = (env: NodeJS.ProcessEnv): CliConfig => ({
  natsUrl: env.KANADE_NATS_URL || 'nats://127.0.0.1:4222',
  natsUrlFromEnv: Boolean(env.KANADE_NATS_URL),
  apiUrl: env.KANADE_API_URL || 'http://127.0.0.1:8080',
  token: env.KANADE_TOKEN || undefined,
  dataDir: resolve(env.KANADE_DATA_DIR || '.kanade'),
  listen: env.KANADE_LISTEN || '127.0.0.1:8080',
  natsServerBin: env.KANADE_NATS_SERVER_BIN || undefined,
  extraTokens: env.KANADE_TOKENS || undefined,
  logLevel: env.KANADE_LOG_LEVEL || 'info',
  path: env.PATH,
});

/** The token a client sends: explicit, else KANADE_TOKEN, else the one `kanade server` wrote to the data dir. */
export const clientToken = (config: CliConfig, flag: string | undefined): string | undefined => {
  if (flag !== undefined && flag !== '') return flag;
  if (config.token !== undefined) return config.token;
  const file = resolve(config.dataDir, 'token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
};

import { join, relative } from 'node:path';
import type { AuthMode } from '../../api/env.ts';
import { createLogger, type LogLevel } from '../../infra/log.ts';
import { findNatsServer, type NatsServerProcess, startNatsServer } from '../../infra/natsServer.ts';
import { loadOrCreateToken, tokenFile } from '../../server/token.ts';
import { boolFlag, type CliContext, type CommandSpec, stringFlag } from '../command.ts';
import type { CliConfig } from '../config.ts';
import { UsageError } from '../errors.ts';
import { parseListen } from '../listen.ts';
import { line } from '../output.ts';

const serverOptions = {
  'nats-url': { type: 'string' },
  'data-dir': { type: 'string' },
  listen: { type: 'string' },
  insecure: { type: 'boolean' },
} as const;

/** The admin token (KANADE_TOKEN or generated into the data dir) plus any named tokens from KANADE_TOKENS. */
const authFor = (
  config: CliConfig,
  dataDir: string,
  insecure: boolean,
): { auth: AuthMode; token?: string; created: boolean } => {
  if (insecure) return { auth: { kind: 'insecure' }, created: false };
  const { token, created } = loadOrCreateToken(dataDir, config.token);
  const tokens = new Map([['admin', token]]);
  for (const pair of (config.extraTokens ?? '').split(',').filter(Boolean)) {
    const [name, value] = pair.split('=', 2);
    if (name === undefined || value === undefined || !/^[a-z0-9_.-]{1,64}$/i.test(name) || value.length < 16) {
      throw new UsageError(
        'KANADE_TOKENS must be name=token pairs (tokens of 16 characters or more), separated by commas',
      );
    }
    tokens.set(name, value);
  }
  return { auth: { kind: 'tokens', tokens }, token, created };
};

const runServer = async (
  ctx: CliContext,
  opts: { natsUrl: string; dataDir: string; listen: string; insecure: boolean },
) => {
  const log = createLogger('kanade', ctx.config.logLevel as LogLevel);
  const { host, port } = parseListen(opts.listen);
  const { auth, token, created } = authFor(ctx.config, opts.dataDir, opts.insecure);
  if (opts.insecure)
    log.warn('INSECURE: the API accepts requests without a token (--insecure); never do this outside a sandbox');
  // Loaded on demand: the server stack (NATS, SQLite, Hono) is heavy for the CLI's everyday commands.
  const { startServer } = await import('../../server/server.ts');
  const server = await startServer({ natsUrl: opts.natsUrl, dataDir: opts.dataDir, host, port, auth, log }).catch(
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new Error(`${opts.listen} is already in use; choose another with --listen or KANADE_LISTEN`);
      throw error;
    },
  );
  return { server, token, created, log };
};

/** `kanade server` and `kanade dev`. */
export const serverCommands: CommandSpec[] = [
  {
    path: ['server'],
    usage: 'kanade server [--nats-url URL] [--data-dir DIR] [--listen host:port] [--insecure]',
    summary: 'Run the API and the projections against a NATS JetStream broker',
    options: serverOptions,
    run: async (args, ctx) => {
      const dataDir = stringFlag(args, 'data-dir') ?? ctx.config.dataDir;
      const { server, created } = await runServer(ctx, {
        natsUrl: stringFlag(args, 'nats-url') ?? ctx.config.natsUrl,
        dataDir,
        listen: stringFlag(args, 'listen') ?? ctx.config.listen,
        insecure: boolFlag(args, 'insecure'),
      });
      if (created) line(ctx.io.err, `generated an API token in ${tokenFile(dataDir)}`);
      await ctx.untilInterrupted();
      await server.close();
      return 0;
    },
  },
  {
    path: ['dev'],
    usage: 'kanade dev [--data-dir DIR] [--listen host:port]',
    summary: 'A sandbox: spawns nats-server (unless KANADE_NATS_URL is set) and runs the server',
    options: { 'data-dir': { type: 'string' }, listen: { type: 'string' } },
    run: async (args, ctx) => {
      const dataDir = stringFlag(args, 'data-dir') ?? ctx.config.dataDir;
      const nats = ctx.config.natsUrlFromEnv ? undefined : await spawnNats(ctx.config, join(dataDir, 'nats'));
      try {
        const natsUrl = nats?.url ?? ctx.config.natsUrl;
        const { server, token } = await runServer(ctx, {
          natsUrl,
          dataDir,
          listen: stringFlag(args, 'listen') ?? ctx.config.listen,
          insecure: false,
        });
        const where = relative(process.cwd(), dataDir) || dataDir;
        line(
          ctx.io.out,
          [
            '',
            'kanade dev sandbox is up',
            `  API     ${server.url}`,
            `  token   ${token}   (saved in ${where}/token; the CLI reads it from there)`,
            `  NATS    ${natsUrl}${nats === undefined ? '' : `   (JetStream store in ${where}/nats)`}`,
            '  try     npx kanade job apply jobs/ && npx kanade job list',
            '',
            'Ctrl-C stops everything.',
          ].join('\n'),
        );
        await ctx.untilInterrupted();
        line(ctx.io.err, 'stopping…');
        await server.close();
      } finally {
        await nats?.stop();
      }
      return 0;
    },
  },
];

// The sandbox prefers the usual port 4222 and falls back to any free one.
const spawnNats = async (config: CliConfig, storeDir: string): Promise<NatsServerProcess> => {
  const bin = findNatsServer(config.natsServerBin, config.path);
  if (bin === undefined) {
    throw new Error(
      'nats-server was not found (PATH, /usr/sbin, /usr/local/bin). Install it: `sudo apt-get install nats-server`, ' +
        'or set KANADE_NATS_SERVER_BIN to its path, or KANADE_NATS_URL to a running broker.',
    );
  }
  try {
    return await startNatsServer({ bin, storeDir, port: 4222 });
  } catch {
    return startNatsServer({ bin, storeDir });
  }
};

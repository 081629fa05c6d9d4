import { join, relative } from 'node:path';
import type { AuthMode } from '../../api/env.ts';
import { createLogger, type Logger, type LogLevel } from '../../infra/log.ts';
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
    usage: 'kanade dev [--agents N] [--data-dir DIR] [--listen host:port]',
    summary: 'A sandbox: spawns nats-server (unless KANADE_NATS_URL is set), runs the server and N local agents',
    options: { agents: { type: 'string' }, 'data-dir': { type: 'string' }, listen: { type: 'string' } },
    run: async (args, ctx) => {
      const dataDir = stringFlag(args, 'data-dir') ?? ctx.config.dataDir;
      const agentCount = devAgentCount(stringFlag(args, 'agents'));
      const nats = ctx.config.natsUrlFromEnv ? undefined : await spawnNats(ctx.config, join(dataDir, 'nats'));
      try {
        const natsUrl = nats?.url ?? ctx.config.natsUrl;
        const { server, token, log } = await runServer(ctx, {
          natsUrl,
          dataDir,
          listen: stringFlag(args, 'listen') ?? ctx.config.listen,
          insecure: false,
        });
        const agents = await startDevAgents(ctx.config, { count: agentCount, dataDir, natsUrl, log });
        line(
          ctx.io.out,
          sandboxBanner({
            url: server.url,
            token,
            natsUrl,
            spawned: nats !== undefined,
            dataDir,
            agents: agents.map((a) => a.agent.pcId),
          }),
        );
        await ctx.untilInterrupted();
        line(ctx.io.err, 'stopping…');
        await Promise.all(agents.map((a) => a.stop()));
        await server.close();
      } finally {
        await nats?.stop();
      }
      return 0;
    },
  },
];

const devAgentCount = (raw: string | undefined): number => {
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 200) throw new UsageError('--agents must be a whole number from 0 to 200');
  return n;
};

// dev-pc-1 is the canary, the others form wave1: enough to try groups and waves right away.
const startDevAgents = async (
  config: CliConfig,
  o: { count: number; dataDir: string; natsUrl: string; log: Logger },
) => {
  const { runAgent } = await import('./agent.ts');
  return Promise.all(
    Array.from({ length: o.count }, (_, i) => {
      const pcId = `dev-pc-${i + 1}`;
      const settings = {
        pcId,
        groups: [i === 0 ? 'canary' : 'wave1'],
        dataDir: join(o.dataDir, 'agents', pcId),
        natsUrl: o.natsUrl,
        heartbeatMs: 30_000,
      };
      return runAgent(settings, config, o.log.child(pcId));
    }),
  );
};

const sandboxBanner = (s: {
  url: string;
  token: string | undefined;
  natsUrl: string;
  spawned: boolean;
  dataDir: string;
  agents: string[];
}) => {
  const where = relative(process.cwd(), s.dataDir) || s.dataDir;
  return [
    '',
    'kanade dev sandbox is up',
    `  web     ${s.url}/   (sign in with the token below)`,
    `  API     ${s.url}/api`,
    `  token   ${s.token}   (saved in ${where}/token; the CLI reads it from there)`,
    `  NATS    ${s.natsUrl}${s.spawned ? `   (JetStream store in ${where}/nats)` : ''}`,
    ...(s.agents.length === 0
      ? []
      : [`  agents  ${s.agents.join(', ')}   (dev-pc-1 in group canary, the rest in wave1)`]),
    '  try     npx kanade job apply jobs/ && npx kanade exec echo --all --wait',
    '',
    'Ctrl-C stops everything.',
  ].join('\n');
};

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

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CreatedEnrollmentToken, EnrollmentTokenList } from '../../api/contract.ts';
import type { AuthMode } from '../../api/env.ts';
import { brokerFiles, initBroker } from '../../infra/broker/init.ts';
import { createLogger, type Logger, type LogLevel } from '../../infra/log.ts';
import type { NatsAuth } from '../../infra/nats/connection.ts';
import { type SupervisedNatsServer, superviseNatsServer } from '../../infra/natsServer.ts';
import { loadOrCreateToken, tokenFile } from '../../server/token.ts';
import { type Args, bool, boolFlag, type CliContext, type CommandSpec, str, stringFlag } from '../command.ts';
import type { CliConfig } from '../config.ts';
import { clusterDir, natsServerBin, parseClusterSize, parseReplicas, spawnNatsCluster } from '../devCluster.ts';
import { UsageError } from '../errors.ts';
import { parseListen } from '../listen.ts';
import { NATS_FLAGS, natsSettings } from '../natsFlags.ts';
import { line } from '../output.ts';
import { stoppedAgents } from './agent.ts';

const DATA_DIR = str('read models, the API token, the signing key', {
  default: '$KANADE_DATA_DIR or ./.kanade',
  value: 'dir',
});
const LISTEN = str('HTTP address of the API and the dashboard', {
  default: '$KANADE_LISTEN or 127.0.0.1:8080',
  value: 'host:port',
});
const REPLICAS = str('copies JetStream keeps of every stream and bucket (3 on a cluster); existing ones are scaled', {
  default: '$KANADE_REPLICAS, else 1 for new ones and existing ones as they are',
  value: 'n',
});
const serverOptions = {
  replicas: REPLICAS,
  'data-dir': DATA_DIR,
  listen: LISTEN,
  insecure: bool('accept API requests without a token (throwaway sandboxes only; never the default)'),
  'metrics-public': bool(
    'serve GET /metrics without a token, for a scraper on a trusted network (also $KANADE_METRICS_PUBLIC=1)',
  ),
  'adhoc-approvers': str('people other than the requester who must approve each ad-hoc run (kanade run)', {
    default: '$KANADE_ADHOC_APPROVERS or 0',
    value: 'n',
  }),
  'broker-dir': str('a broker directory (kanade broker init): issue and revoke agent credentials', {
    default: '$KANADE_BROKER_DIR',
    value: 'dir',
  }),
  'signing-key': str('the command-signing key (nkey seed file; every server of a fleet needs the same)', {
    default: '$KANADE_SIGNING_KEY or <data-dir>/signing.nk',
    value: 'file',
  }),
  'previous-signing-key': str('during a key rotation: the key agents trust now', {
    default: '$KANADE_PREVIOUS_SIGNING_KEY',
    value: 'file',
  }),
  ...NATS_FLAGS,
};

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

type ServerRun = {
  nats: { url: string; auth: NatsAuth };
  replicas: number | undefined;
  brokerDir: string | undefined;
  dataDir: string;
  listen: string;
  insecure: boolean;
  metricsPublic: boolean;
  adhocApprovers: number;
  signingKey: string | undefined;
  previousSigningKey: string | undefined;
};

const runServer = async (ctx: CliContext, opts: ServerRun) => {
  const log = createLogger('kanade', ctx.config.logLevel as LogLevel);
  const { host, port } = parseListen(opts.listen);
  const { auth, token, created } = authFor(ctx.config, opts.dataDir, opts.insecure);
  if (opts.insecure)
    log.warn('INSECURE: the API accepts requests without a token (--insecure); never do this outside a sandbox');
  // Loaded on demand: the server stack (NATS, SQLite, Hono) is heavy for the CLI's everyday commands.
  const { startServer } = await import('../../server/server.ts');
  const server = await startServer({
    nats: opts.nats,
    ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }),
    ...(opts.brokerDir === undefined ? {} : { brokerDir: opts.brokerDir }),
    signing: {
      ...(opts.signingKey === undefined ? {} : { keyFile: opts.signingKey }),
      ...(opts.previousSigningKey === undefined ? {} : { previousKeyFile: opts.previousSigningKey }),
    },
    dataDir: opts.dataDir,
    host,
    port,
    auth,
    log,
    metricsPublic: opts.metricsPublic,
    adhocApprovers: opts.adhocApprovers,
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(`${opts.listen} is already in use; choose another with --listen or KANADE_LISTEN`);
    throw error;
  });
  return { server, token, created, log };
};

const parseApprovers = (raw: string | undefined): number => {
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > 10)
    throw new UsageError(`--adhoc-approvers ${raw}: a whole number from 0 to 10 (KANADE_ADHOC_APPROVERS)`);
  return n;
};

const pathFlag = (args: Args, name: string): string | undefined => {
  const value = stringFlag(args, name);
  return value === undefined ? undefined : resolve(value);
};

/** `kanade server`, `kanade dev` and `kanade broker init`. */
export const serverCommands: CommandSpec[] = [
  {
    path: ['server'],
    usage:
      'kanade server [--nats-url URL[,URL…]] [--nats-creds FILE] [--replicas N] [--broker-dir DIR] [--data-dir DIR] [--listen host:port] [--insecure] [--metrics-public] [--adhoc-approvers N]',
    summary: 'Run the API and the projections against a NATS JetStream broker',
    options: serverOptions,
    run: async (args, ctx) => {
      const dataDir = stringFlag(args, 'data-dir') ?? ctx.config.dataDir;
      const { server, created } = await runServer(ctx, {
        nats: natsSettings(args, ctx.config),
        replicas: parseReplicas(stringFlag(args, 'replicas') ?? ctx.config.replicas),
        brokerDir: pathFlag(args, 'broker-dir') ?? ctx.config.brokerDir,
        dataDir,
        listen: stringFlag(args, 'listen') ?? ctx.config.listen,
        insecure: boolFlag(args, 'insecure'),
        metricsPublic: boolFlag(args, 'metrics-public') || ctx.config.metricsPublic,
        adhocApprovers: parseApprovers(stringFlag(args, 'adhoc-approvers') ?? ctx.config.adhocApprovers),
        signingKey: pathFlag(args, 'signing-key') ?? ctx.config.signingKeyFile,
        previousSigningKey: pathFlag(args, 'previous-signing-key') ?? ctx.config.previousSigningKeyFile,
      });
      if (created) line(ctx.io.err, `generated an API token in ${tokenFile(dataDir)}`);
      const fatal = await Promise.race([ctx.untilInterrupted().then(() => undefined), server.fatal]);
      await server.close();
      line(ctx.io.err, 'stopped the server');
      return fatal === undefined ? 0 : 1;
    },
  },
  {
    path: ['dev'],
    usage: 'kanade dev [--agents N] [--cluster N] [--replicas N] [--data-dir DIR] [--listen host:port]',
    summary:
      'A sandbox: spawns an authenticated nats-server (unless KANADE_NATS_URL is set), runs the server and N local agents',
    options: {
      agents: str('how many local agents to run (0-200)', { default: '0', value: 'n' }),
      cluster: str('run a cluster of N nats-servers on loopback instead of one (streams get min(N, 3) replicas)', {
        default: '1',
        value: 'n',
      }),
      replicas: REPLICAS,
      'data-dir': str('everything the sandbox keeps: broker keys, NATS store, read models, agents', {
        default: '$KANADE_DATA_DIR or ./.kanade',
        value: 'dir',
      }),
      listen: LISTEN,
    },
    run: async (args, ctx) => {
      const dataDir = resolve(stringFlag(args, 'data-dir') ?? ctx.config.dataDir);
      const agentCount = devAgentCount(stringFlag(args, 'agents'));
      const clusterSize = parseClusterSize(stringFlag(args, 'cluster'));
      const external = ctx.config.natsUrlFromEnv;
      if (external && clusterSize > 1)
        throw new UsageError('--cluster spawns its own nats-servers; unset KANADE_NATS_URL to use it');
      const replicas =
        parseReplicas(stringFlag(args, 'replicas') ?? ctx.config.replicas) ??
        (clusterSize > 1 ? Math.min(clusterSize, 3) : undefined);
      const brokerDir = external ? ctx.config.brokerDir : await ensureBrokerDir(join(dataDir, 'broker'));
      const onNatsEvent = (event: { detail: string }) => line(ctx.io.err, `kanade dev: ${event.detail}`);
      const nats = external
        ? undefined
        : clusterSize > 1
          ? await spawnNatsCluster(ctx.config, clusterSize, clusterDir(dataDir), brokerDir as string, onNatsEvent)
          : await spawnNats(ctx.config, join(dataDir, 'nats'), brokerDir as string, onNatsEvent);
      try {
        const natsUrl = nats?.url ?? ctx.config.natsUrl;
        const { server, token, log } = await runServer(ctx, {
          nats: { url: natsUrl, auth: external ? ctx.config.natsAuth : {} },
          replicas,
          brokerDir,
          dataDir,
          listen: stringFlag(args, 'listen') ?? ctx.config.listen,
          insecure: false,
          metricsPublic: ctx.config.metricsPublic,
          adhocApprovers: parseApprovers(ctx.config.adhocApprovers),
          signingKey: ctx.config.signingKeyFile,
          previousSigningKey: undefined,
        });
        const enrollToken = agentCount === 0 ? undefined : await devEnrollmentToken(server.url, token, dataDir);
        const agents = await startDevAgents(ctx.config, {
          count: agentCount,
          dataDir,
          broker: {
            url: natsUrl,
            auth:
              external || brokerDir === undefined
                ? ctx.config.natsAuth
                : { credsFile: brokerFiles(brokerDir).enrollCreds },
            ...(enrollToken === undefined ? {} : { enrollToken }),
          },
          log,
        });
        line(
          ctx.io.out,
          sandboxBanner({
            url: server.url,
            token,
            natsUrl,
            spawned: nats === undefined ? undefined : clusterSize > 1 ? `cluster:${clusterSize}` : 'single',
            brokerDir,
            dataDir,
            agents: agents.map((a) => a.agent.pcId),
          }),
        );
        const fatal = await Promise.race([
          ctx.untilInterrupted().then(() => undefined),
          server.fatal,
          ...(nats === undefined ? [] : [nats.fatal]),
          ...agents.map((a) => a.fatal.then((e) => e ?? new Promise<never>(() => {}))),
        ]);
        if (fatal !== undefined) line(ctx.io.err, `kanade dev: stopping: ${fatal.message}`);
        const stopped = await Promise.all(
          agents.map(async (a) => ({ pcId: a.agent.pcId, dataDir: a.dataDir, ...(await a.stop()) })),
        );
        if (stopped.length > 0) line(ctx.io.err, stoppedAgents(stopped));
        await server.close();
        line(
          ctx.io.err,
          `stopped the server${nats === undefined ? '' : clusterSize > 1 ? ` and the ${clusterSize} nats-servers` : ' and nats-server'}`,
        );
        return fatal === undefined ? 0 : 1;
      } finally {
        await nats?.stop();
      }
      return 0;
    },
  },
  {
    path: ['broker', 'init'],
    usage: 'kanade broker init --out DIR',
    summary:
      'Write an operator, system and kanade account, the server, system and bootstrap credentials, and a nats-server config to include',
    options: { out: str('the directory to write (must be empty or new)', { value: 'dir' }) },
    run: async (args, ctx) => {
      const out = stringFlag(args, 'out');
      if (out === undefined) throw new UsageError('--out DIR is required');
      const dir = resolve(out);
      if (existsSync(join(dir, 'broker.json'))) throw new UsageError(`${dir} already holds a broker directory`);
      const manifest = await initBroker(dir);
      const files = brokerFiles(dir);
      line(
        ctx.io.out,
        [
          `wrote a broker directory in ${dir} (operator ${manifest.operator.slice(0, 12)}…, account ${manifest.account.slice(0, 12)}…)`,
          `  nats-server:  include ${JSON.stringify(files.serverConfig)} in its configuration (and enable JetStream)`,
          `  kanade server --broker-dir ${dir}   (it connects with server.creds, issues and revokes agent credentials)`,
          `  agents:       --nats-creds ${files.enrollCreds} --enroll-token <token from kanade enrollment-tokens create>`,
          `  move ${files.offlineDir} (the operator and account identity seeds) offline; nothing running needs it`,
          '  the directory holds secrets: keep it readable by the kanade server only',
        ].join('\n'),
      );
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

// The sandbox is authenticated like production: operator mode, agents enroll with the bootstrap credential.
const ensureBrokerDir = async (dir: string): Promise<string> => {
  if (!existsSync(brokerFiles(dir).manifest)) await initBroker(dir);
  return dir;
};

// The groups the sandbox's agents are in (and their auto-approve token grants).
const DEV_GROUPS = ['canary', 'wave1'];

// The sandbox's own agents enroll with an auto-approve token it keeps in the data dir (made once).
const devEnrollmentToken = async (apiUrl: string, token: string | undefined, dataDir: string): Promise<string> => {
  const file = join(dataDir, 'enroll-token');
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token ?? ''}`,
        'Content-Type': 'application/json',
        'X-Kanade-Source': 'dev',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    const { tokens } = await api<EnrollmentTokenList>('GET', '/api/enrollment-tokens?min_seq=latest');
    const usable = (t: EnrollmentTokenList['tokens'][number]) =>
      kept.startsWith(`${t.token_id}.`) &&
      t.revoked_at === null &&
      t.auto_approve &&
      DEV_GROUPS.every((g) => t.groups.includes(g));
    if (tokens.some(usable)) return kept;
  }
  const created = await api<CreatedEnrollmentToken>('POST', '/api/enrollment-tokens', {
    name: 'dev-sandbox',
    auto_approve: true,
    groups: DEV_GROUPS,
  });
  writeFileSync(file, `${created.token}\n`, { mode: 0o600 });
  return created.token;
};

// dev-pc-1 is the canary, the others form wave1: enough to try groups and waves right away.
const startDevAgents = async (
  config: CliConfig,
  o: { count: number; dataDir: string; broker: { url: string; auth: NatsAuth; enrollToken?: string }; log: Logger },
) => {
  const { runAgent } = await import('./agent.ts');
  return Promise.all(
    Array.from({ length: o.count }, async (_, i) => {
      const pcId = `dev-pc-${i + 1}`;
      const settings = {
        pcId,
        groups: [i === 0 ? 'canary' : 'wave1'],
        dataDir: join(o.dataDir, 'agents', pcId),
        broker: o.broker,
        heartbeatMs: 30_000,
        factsMs: 3_600_000,
        factsJitterMs: 300_000,
      };
      return { ...(await runAgent(settings, config, o.log.child(pcId))), dataDir: settings.dataDir };
    }),
  );
};

const sandboxBanner = (s: {
  url: string;
  token: string | undefined;
  natsUrl: string;
  /** What the sandbox spawned: one nats-server, a cluster of n, or nothing (KANADE_NATS_URL). */
  spawned: 'single' | `cluster:${number}` | undefined;
  brokerDir: string | undefined;
  dataDir: string;
  agents: string[];
}) =>
  [
    '',
    'kanade dev sandbox is up',
    `  web     ${s.url}/   (sign in with the token below)`,
    `  API     ${s.url}/api`,
    `  token   ${s.token}   (saved in ${s.dataDir}/token; the CLI reads it from there)`,
    `  NATS    ${s.natsUrl}${natsNote(s.spawned, s.dataDir)}`,
    ...(s.brokerDir === undefined
      ? []
      : [`  broker  credentials in ${s.brokerDir} (anonymous connections are refused)`]),
    ...(s.agents.length === 0
      ? []
      : [`  agents  ${s.agents.join(', ')}   (dev-pc-1 in group canary, the rest in wave1)`]),
    '  try     npx kanade job apply jobs/ && npx kanade exec echo --all --wait',
    '',
    'Ctrl-C stops everything.',
  ].join('\n');

const natsNote = (spawned: 'single' | `cluster:${number}` | undefined, dataDir: string) => {
  if (spawned === undefined) return '';
  if (spawned === 'single') return `   (JetStream store in ${dataDir}/nats)`;
  return `   (a ${spawned.slice('cluster:'.length)}-server cluster; stores under ${clusterDir(dataDir)})`;
};

// The sandbox prefers the usual port 4222 and falls back to any free one; it restarts a broker that dies.
const spawnNats = async (
  config: CliConfig,
  storeDir: string,
  brokerDir: string,
  onEvent: Parameters<typeof superviseNatsServer>[1],
): Promise<SupervisedNatsServer> => {
  const bin = natsServerBin(config);
  const configFile = brokerFiles(brokerDir).serverConfig;
  try {
    return await superviseNatsServer({ bin, storeDir, port: 4222, configFile }, onEvent);
  } catch {
    return superviseNatsServer({ bin, storeDir, configFile }, onEvent);
  }
};

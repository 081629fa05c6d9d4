import { arch, hostname, platform } from 'node:os';
import { join } from 'node:path';
import type { AgentBrokerOptions } from '../../agent/brokerSession.ts';
import { detectShells } from '../../agent/shells.ts';
import { encodeId, isGroupName, parseDuration, pcIdProblem } from '../../domain/shared/index.ts';
import { createLogger, type LevelHolder, type Logger, type LogLevel } from '../../infra/log.ts';
import type { AgentMetrics } from '../../infra/metrics/agent.ts';
import { type Args, type CliContext, type CommandSpec, str, stringFlag } from '../command.ts';
import type { CliConfig } from '../config.ts';
import { UsageError } from '../errors.ts';
import { NATS_FLAGS, natsSettings } from '../natsFlags.ts';
import { line } from '../output.ts';
import { kanadeVersion } from '../version.ts';

/** Settings of one agent, from flags and the environment. */
export type AgentSettings = {
  pcId: string;
  groups: string[];
  dataDir: string;
  broker: AgentBrokerOptions;
  heartbeatMs: number;
  /** How often the agent looks at its facts (reported when they changed), and the spread around it. */
  factsMs: number;
  factsJitterMs: number;
  /** Where to serve `GET /metrics` (off when absent). */
  metrics?: { host: string; port: number };
};

/** Validates agent flags. */
export const agentSettings = (
  config: CliConfig,
  flags: {
    id?: string | undefined;
    groups?: string | undefined;
    dataDir?: string | undefined;
    heartbeat?: string | undefined;
    factsInterval?: string | undefined;
    factsJitter?: string | undefined;
    enrollToken?: string | undefined;
    metricsPort?: string | undefined;
    metricsHost?: string | undefined;
  },
  broker: { url: string; auth: AgentBrokerOptions['auth'] },
): AgentSettings => {
  const pcId = flags.id ?? hostname();
  const problem = pcIdProblem(pcId);
  if (problem !== undefined)
    throw new UsageError(
      `${flags.id === undefined ? 'the host name' : '--id'} ${JSON.stringify(pcId)} is not a valid pc id: ${problem}`,
    );
  const groups = (flags.groups ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  const bad = groups.filter((g) => !isGroupName(g));
  if (bad.length > 0) throw new UsageError(`not valid group names: ${bad.join(', ')}`);
  const heartbeat = flags.heartbeat === undefined ? 30 : parseDuration(flags.heartbeat);
  if (heartbeat === undefined || heartbeat < 1) throw new UsageError('--heartbeat must be a duration such as 30s');
  const factsEvery = parseDuration(flags.factsInterval ?? '1h');
  if (factsEvery === undefined || factsEvery < 1)
    throw new UsageError('--facts-interval must be a duration such as 1h');
  const factsJitter = parseDuration(flags.factsJitter ?? '5m');
  if (factsJitter === undefined) throw new UsageError('--facts-jitter must be a duration such as 5m');
  const enrollToken = flags.enrollToken ?? config.enrollToken;
  const metrics = metricsAddress(
    flags.metricsPort ?? config.agentMetricsPort,
    flags.metricsHost ?? config.agentMetricsHost,
  );
  return {
    pcId,
    groups,
    dataDir: flags.dataDir ?? join(config.dataDir, `agent-${encodeId(pcId)}`),
    broker: { ...broker, ...(enrollToken === undefined ? {} : { enrollToken }) },
    heartbeatMs: heartbeat * 1000,
    factsMs: factsEvery * 1000,
    factsJitterMs: Math.min(factsJitter, factsEvery / 2) * 1000,
    ...(metrics === undefined ? {} : { metrics }),
  };
};

// The metrics endpoint is opt-in, and local unless an address is given: it tells what the agent runs.
const metricsAddress = (port: string | undefined, host: string | undefined) => {
  if (port === undefined) {
    if (host !== undefined) throw new UsageError('--metrics-host needs --metrics-port');
    return undefined;
  }
  const n = Number(port);
  if (!/^\d+$/.test(port) || n > 65_535) throw new UsageError('--metrics-port must be a port number (0 to 65535)');
  return { host: host ?? '127.0.0.1', port: n };
};

/**
 * Connects and starts one agent (used by `kanade agent` and `kanade dev --agents`): enrolls first when
 * its data dir holds no approval. When the broker closes its connection for good (the credential was
 * revoked or expired), it stops, asks the server for a new credential and starts again; `fatal`
 * settles only when that is refused for good (the agent was terminated).
 */
export const runAgent = async (settings: AgentSettings, config: CliConfig, log: Logger, level?: LevelHolder) => {
  const ownLevel = level?.level; // the flag's level: what the agent returns to when no config layer sets one
  const [{ startAgent }, { openAgentSession, AgentTerminated }] = await Promise.all([
    import('../../agent/agent.ts'),
    import('../../agent/brokerSession.ts'),
  ]);
  const metrics = await startMetrics(settings, log);
  const stopping = new AbortController();
  const facts = {
    pc_id: settings.pcId,
    hostname: hostname(),
    os: platform(),
    arch: arch(),
    agent_version: kanadeVersion(),
  };
  const start = async (renew: boolean) => {
    const session = await openAgentSession({
      pcId: settings.pcId,
      dataDir: settings.dataDir,
      broker: settings.broker,
      identity: { ...facts, groups: settings.groups },
      log,
      signal: stopping.signal,
      renew,
    });
    const agent = await startAgent({
      facts,
      initialGroups: settings.groups,
      dataDir: settings.dataDir,
      nc: session.nc,
      trust: session.trust,
      credentials: session,
      log,
      shells: detectShells(config.path ?? '', platform()),
      heartbeatIntervalMs: settings.heartbeatMs,
      factsIntervalMs: settings.factsMs,
      factsJitterMs: settings.factsJitterMs,
      ...(level === undefined || ownLevel === undefined
        ? {}
        : {
            logLevel: ownLevel,
            setLogLevel: (next: LogLevel) => {
              level.level = next;
            },
          }),
      ...(metrics === undefined ? {} : { metrics: metrics.counters }),
    });
    return { session, agent };
  };
  let current = await start(false);
  const stops = new WeakMap<object, Promise<{ killed: number; unsent: number }>>();
  const stopCurrent = () => {
    const running = current;
    const known = stops.get(running);
    if (known !== undefined) return known;
    const stopped = (async () => {
      running.session.close();
      const result = await running.agent.stop();
      await running.session.nc.drain().catch(() => {});
      return result;
    })();
    stops.set(running, stopped);
    return stopped;
  };
  const fatal = (async (): Promise<Error | undefined> => {
    for (;;) {
      const error = await current.session.nc.closed();
      if (stopping.signal.aborted || error === undefined) return undefined;
      log.warn("the broker closed this agent's connection for good; asking the server for a new credential", { error });
      await stopCurrent();
      try {
        current = await start(true);
      } catch (failure) {
        if (stopping.signal.aborted) return undefined;
        log.error(failure instanceof AgentTerminated ? failure.message : 'the agent cannot go on', { error: failure });
        return failure instanceof Error ? failure : new Error(String(failure));
      }
    }
  })();
  return {
    get agent() {
      return current.agent;
    },
    fatal,
    stop: async () => {
      stopping.abort();
      const stopped = await stopCurrent();
      await metrics?.endpoint.close();
      return stopped;
    },
  };
};

// One registry for the process: an agent restarted with a renewed credential keeps its counters.
const startMetrics = async (
  settings: AgentSettings,
  log: Logger,
): Promise<{ counters: AgentMetrics; endpoint: { close(): Promise<void> } } | undefined> => {
  if (settings.metrics === undefined) return undefined;
  const [{ createAgentMetrics }, { serveMetrics }] = await Promise.all([
    import('../../infra/metrics/agent.ts'),
    import('../../infra/metrics/serve.ts'),
  ]);
  const counters = createAgentMetrics();
  const { host, port } = settings.metrics;
  const endpoint = await serveMetrics(counters.registry, host, port).catch((error: unknown) => {
    throw new Error(`cannot serve metrics on ${host}:${port}: ${error instanceof Error ? error.message : error}`);
  });
  log.info('serving metrics', { url: endpoint.url });
  return { counters, endpoint };
};

/** What stopping agents did, in one or two lines. */
export const stoppedAgents = (agents: { pcId: string; killed: number; unsent: number; dataDir: string }[]): string => {
  const killed = agents.reduce((n, a) => n + a.killed, 0);
  const unsent = agents.filter((a) => a.unsent > 0);
  return [
    `stopped ${agents.length === 1 ? `agent ${agents[0]?.pcId}` : `${agents.length} agents`}${killed === 0 ? '' : `: ${killed} running job(s) killed and reported as killed`}`,
    ...unsent.map(
      (a) =>
        `  ${a.pcId}: ${a.unsent} result(s) not sent yet (the broker was gone); they wait in ${join(a.dataDir, 'outbox')} for the next start`,
    ),
  ].join('\n');
};

/** `kanade agent`. */
export const agentCommand: CommandSpec = {
  path: ['agent'],
  usage:
    'kanade agent [--id PC] [--groups a,b] [--data-dir DIR] [--nats-url URL] [--nats-creds FILE] [--enroll-token T] [--heartbeat 30s] [--facts-interval 1h] [--metrics-port N]',
  summary: 'Run an agent: enrolls (once approved, takes commands for this PC, its groups and all) and reports results',
  options: {
    id: str('this PC’s id', { default: 'the host name', value: 'pc' }),
    groups: str('groups to ask for when enrolling (operators decide afterwards)', { value: 'a,b' }),
    'data-dir': str('where the agent keeps its key, credential, journal and outbox', {
      default: '$KANADE_DATA_DIR/agent-<pc>',
      value: 'dir',
    }),
    heartbeat: str('how often to send a heartbeat', { default: '30s', value: 'duration' }),
    'facts-interval': str('how often to look at the machine’s facts (OS, CPU, memory, disk…); sent when they changed', {
      default: '1h',
      value: 'duration',
    }),
    'facts-jitter': str('spread the facts checks this much either way (at most half the interval)', {
      default: '5m',
      value: 'duration',
    }),
    'enroll-token': str('the enrollment token to present when asking to enroll', {
      default: '$KANADE_ENROLL_TOKEN',
      value: 'token',
    }),
    'metrics-port': str('serve GET /metrics (Prometheus) on this port', {
      default: '$KANADE_AGENT_METRICS_PORT, else off',
      value: 'n',
    }),
    'metrics-host': str('the address the metrics port listens on', {
      default: '$KANADE_AGENT_METRICS_HOST or 127.0.0.1',
      value: 'host',
    }),
    ...NATS_FLAGS,
  },
  run: async (args: Args, ctx: CliContext) => {
    const settings = agentSettings(
      ctx.config,
      {
        id: stringFlag(args, 'id'),
        groups: stringFlag(args, 'groups'),
        dataDir: stringFlag(args, 'data-dir'),
        heartbeat: stringFlag(args, 'heartbeat'),
        factsInterval: stringFlag(args, 'facts-interval'),
        factsJitter: stringFlag(args, 'facts-jitter'),
        enrollToken: stringFlag(args, 'enroll-token'),
        metricsPort: stringFlag(args, 'metrics-port'),
        metricsHost: stringFlag(args, 'metrics-host'),
      },
      natsSettings(args, ctx.config, 'agent'),
    );
    const level: LevelHolder = { level: ctx.config.logLevel as LogLevel };
    const log = createLogger(`agent:${settings.pcId}`, level);
    const running = await runAgent(settings, ctx.config, log, level);
    const fatal = await Promise.race([ctx.untilInterrupted().then(() => undefined), running.fatal]);
    const { killed, unsent } = await running.stop();
    line(ctx.io.err, stoppedAgents([{ pcId: settings.pcId, killed, unsent, dataDir: settings.dataDir }]));
    return fatal === undefined ? 0 : 1;
  },
};

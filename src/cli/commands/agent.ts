import { arch, hostname, platform } from 'node:os';
import { join } from 'node:path';
import { detectShells } from '../../agent/shells.ts';
import { isGroupName, isPcId, parseDuration } from '../../domain/shared/index.ts';
import { createLogger, type Logger, type LogLevel } from '../../infra/log.ts';
import { type CliContext, type CommandSpec, stringFlag } from '../command.ts';
import type { CliConfig } from '../config.ts';
import { UsageError } from '../errors.ts';
import { kanadeVersion } from '../version.ts';

/** Settings of one agent, from flags and the environment. */
export type AgentSettings = { pcId: string; groups: string[]; dataDir: string; natsUrl: string; heartbeatMs: number };

/** Validates agent flags. */
export const agentSettings = (
  config: CliConfig,
  flags: {
    id?: string | undefined;
    groups?: string | undefined;
    dataDir?: string | undefined;
    natsUrl?: string | undefined;
    heartbeat?: string | undefined;
  },
): AgentSettings => {
  const pcId = flags.id ?? hostname();
  if (!isPcId(pcId))
    throw new UsageError(`--id ${JSON.stringify(pcId)} is not a valid pc id (letters, digits, ".", "_" and "-")`);
  const groups = (flags.groups ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  const bad = groups.filter((g) => !isGroupName(g));
  if (bad.length > 0) throw new UsageError(`not valid group names: ${bad.join(', ')}`);
  const heartbeat = flags.heartbeat === undefined ? 30 : parseDuration(flags.heartbeat);
  if (heartbeat === undefined || heartbeat < 1) throw new UsageError('--heartbeat must be a duration such as 30s');
  return {
    pcId,
    groups,
    dataDir: flags.dataDir ?? join(config.dataDir, `agent-${pcId}`),
    natsUrl: flags.natsUrl ?? config.natsUrl,
    heartbeatMs: heartbeat * 1000,
  };
};

/** Connects and starts one agent (used by `kanade agent` and `kanade dev --agents`). */
export const runAgent = async (settings: AgentSettings, config: CliConfig, log: Logger) => {
  const [{ startAgent }, { connectNats }] = await Promise.all([
    import('../../agent/agent.ts'),
    import('../../infra/nats/connection.ts'),
  ]);
  log.info('connecting to NATS (waiting for it if it is not up yet)', { url: settings.natsUrl });
  const nc = await connectNats({ url: settings.natsUrl, name: `kanade-agent-${settings.pcId}`, log });
  const agent = await startAgent({
    facts: { pc_id: settings.pcId, hostname: hostname(), os: platform(), arch: arch(), agent_version: kanadeVersion() },
    initialGroups: settings.groups,
    dataDir: settings.dataDir,
    nc,
    log,
    shells: detectShells(config.path ?? '', platform()),
    heartbeatIntervalMs: settings.heartbeatMs,
  });
  return {
    agent,
    stop: async () => {
      await agent.stop();
      await nc.drain().catch(() => {});
    },
  };
};

/** `kanade agent`. */
export const agentCommand: CommandSpec = {
  path: ['agent'],
  usage: 'kanade agent [--id PC] [--groups a,b] [--data-dir DIR] [--nats-url URL] [--heartbeat 30s]',
  summary: 'Run an agent: takes commands for this PC, its groups and all, and reports results',
  options: {
    id: { type: 'string' },
    groups: { type: 'string' },
    'data-dir': { type: 'string' },
    'nats-url': { type: 'string' },
    heartbeat: { type: 'string' },
  },
  run: async (args, ctx: CliContext) => {
    const settings = agentSettings(ctx.config, {
      id: stringFlag(args, 'id'),
      groups: stringFlag(args, 'groups'),
      dataDir: stringFlag(args, 'data-dir'),
      natsUrl: stringFlag(args, 'nats-url'),
      heartbeat: stringFlag(args, 'heartbeat'),
    });
    const log = createLogger(`agent:${settings.pcId}`, ctx.config.logLevel as LogLevel);
    const running = await runAgent(settings, ctx.config, log);
    await ctx.untilInterrupted();
    await running.stop();
    return 0;
  },
};

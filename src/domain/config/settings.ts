import type { Staleness } from '../jobs/manifest.ts';

/** What a config layer may set on an agent, in the order they are shown. */
export const CONFIG_KEYS = [
  'heartbeat',
  'facts_interval',
  'facts_jitter',
  'max_concurrent',
  'log_level',
  'staleness',
  'agent_version',
] as const;

/** One agent setting. */
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Log levels an agent can be set to. */
export const AGENT_LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Every agent setting with a value. Durations are normalized humantime strings (`30s`, `1h`);
 * `staleness` is the policy of commands that carry none of their own (ad-hoc runs: a job's manifest
 * always names one); `agent_version` is the version a PC should run ("" for whatever it runs), for
 * the self-update to act on.
 */
export type AgentSettings = Readonly<{
  heartbeat: string;
  facts_interval: string;
  facts_jitter: string;
  max_concurrent: number;
  log_level: (typeof AGENT_LOG_LEVELS)[number];
  staleness: Staleness;
  agent_version: string;
}>;

/** What one layer sets: any of the settings. */
export type ConfigSettings = Partial<AgentSettings>;

/**
 * The agent's flags' defaults (`kanade agent --help`): what the server shows for a key no layer sets
 * until the agent says what it runs with (its heartbeat). `max_concurrent` is really the agent's CPU
 * count, at least 2.
 */
export const AGENT_DEFAULTS: AgentSettings = {
  heartbeat: '30s',
  facts_interval: '1h',
  facts_jitter: '5m',
  max_concurrent: 2,
  log_level: 'info',
  staleness: { mode: 'cached' },
  agent_version: '',
};

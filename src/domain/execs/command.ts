import type { JobManifest, RunAs, Shell } from '../jobs/manifest.ts';
import { parseDuration } from '../shared/duration.ts';

/**
 * How an agent weighs the age of its cached views (revoke status, pins) against running a command.
 * `agent`: the agent's own default policy (its config's `staleness`), what ad-hoc runs carry; an agent
 * that knows no such mode treats it as `cached`.
 */
export type WireStaleness =
  | { mode: 'cached' }
  | { mode: 'unchecked' }
  | { mode: 'strict'; max_cache_age_secs: number }
  | { mode: 'agent' };

/**
 * What an agent is asked to run, as published on KANADE_COMMANDS (kanade's Command shape, durations
 * lowered to seconds). One request_id per exec across every subject it is published on.
 */
export type ExecCommand = {
  id: string;
  version: string;
  request_id: string;
  exec_id: string;
  shell: Shell;
  script: string;
  script_object?: string;
  timeout_secs: number;
  jitter_secs?: number;
  run_as: RunAs;
  cwd?: string;
  deadline_at?: string;
  staleness: WireStaleness;
};

/** Extra settings of one exec: identity, and when it must start by. */
export type CommandOptions = { exec_id: string; request_id: string; jitter_secs?: number; deadline_at?: string };

/** Lowers a manifest to the command agents receive. */
export const buildCommand = (manifest: JobManifest, options: CommandOptions): ExecCommand => {
  const { execute, staleness } = manifest;
  return {
    id: manifest.id,
    version: manifest.version,
    request_id: options.request_id,
    exec_id: options.exec_id,
    shell: execute.shell,
    script: execute.script ?? '',
    ...(execute.script_object === undefined ? {} : { script_object: execute.script_object }),
    timeout_secs: parseDuration(execute.timeout) ?? 0,
    ...(options.jitter_secs === undefined || options.jitter_secs === 0 ? {} : { jitter_secs: options.jitter_secs }),
    run_as: execute.run_as,
    ...(execute.cwd === undefined ? {} : { cwd: execute.cwd }),
    ...(options.deadline_at === undefined ? {} : { deadline_at: options.deadline_at }),
    staleness:
      staleness.mode === 'strict'
        ? { mode: 'strict', max_cache_age_secs: parseDuration(staleness.max_cache_age) ?? 0 }
        : { mode: staleness.mode },
  };
};

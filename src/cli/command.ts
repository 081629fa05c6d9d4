import type { ParseArgsOptionsConfig } from 'node:util';
import type { ApiClient } from './client.ts';
import type { CliConfig } from './config.ts';
import type { Io } from './output.ts';

/** Parsed arguments of one command. */
export type Args = { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };

/** What every command gets: settings, output streams, and an API client built from the global flags. */
export type CliContext = {
  config: CliConfig;
  io: Io;
  client(): ApiClient;
  /** Resolves when the user asks to stop (Ctrl-C / SIGTERM); only long-running commands call it. */
  untilInterrupted(): Promise<void>;
};

/** One `kanade <noun> <verb>` command. */
export type CommandSpec = {
  path: readonly string[];
  usage: string;
  summary: string;
  options?: ParseArgsOptionsConfig;
  /** Returns the exit code. */
  run(args: Args, ctx: CliContext): Promise<number>;
};

/** Options every command accepts. */
export const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  help: { type: 'boolean', short: 'h' },
  'api-url': { type: 'string' },
  token: { type: 'string' },
};

/** A string flag's value, or undefined. */
export const stringFlag = (args: Args, name: string): string | undefined => {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
};

/** A boolean flag. */
export const boolFlag = (args: Args, name: string): boolean => args.values[name] === true;

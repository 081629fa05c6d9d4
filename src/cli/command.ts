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

/**
 * One flag: what it is for (a line in `--help`, never empty: a test walks every command) and, when it
 * has one, its default as the user would write it.
 */
export type FlagSpec = {
  type: 'string' | 'boolean';
  description: string;
  default?: string;
  /** The word shown for its value in `--help` (`--timeout <duration>`). */
  value?: string;
  multiple?: boolean;
  short?: string;
};

/** The flags of a command, by name. */
export type Flags = Record<string, FlagSpec>;

/** One `kanade <noun> <verb>` command. */
export type CommandSpec = {
  path: readonly string[];
  usage: string;
  summary: string;
  options?: Flags;
  /** Left out of the command list (an alias). */
  hidden?: boolean;
  /** Returns the exit code. */
  run(args: Args, ctx: CliContext): Promise<number>;
};

/** A string flag. */
export const str = (description: string, extra: Omit<FlagSpec, 'type' | 'description'> = {}): FlagSpec => ({
  type: 'string',
  description,
  ...extra,
});

/** A boolean flag (absent means no). */
export const bool = (description: string, extra: Pick<FlagSpec, 'short'> = {}): FlagSpec => ({
  type: 'boolean',
  description,
  ...extra,
});

/** `--json`, on every command that reads. */
export const JSON_FLAG: Flags = { json: bool('print JSON (the API’s answer) instead of text') };

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Flags = {
  help: bool('show this help', { short: 'h' }),
  'api-url': str('the kanade API to talk to', { default: '$KANADE_API_URL or http://127.0.0.1:8080', value: 'url' }),
  token: str('the API token', { default: '$KANADE_TOKEN, else <data-dir>/token', value: 'token' }),
};

/** The flags as node:util parseArgs takes them. */
export const parseArgsConfig = (flags: Flags): ParseArgsOptionsConfig =>
  Object.fromEntries(
    Object.entries(flags).map(([name, f]) => [
      name,
      {
        type: f.type,
        ...(f.multiple === true ? { multiple: true } : {}),
        ...(f.short === undefined ? {} : { short: f.short }),
      },
    ]),
  );

/** A string flag's value, or undefined. */
export const stringFlag = (args: Args, name: string): string | undefined => {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
};

/** A boolean flag. */
export const boolFlag = (args: Args, name: string): boolean => args.values[name] === true;

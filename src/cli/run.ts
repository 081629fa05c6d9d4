import { parseArgs } from 'node:util';
import { closest, formatIssue } from '../domain/shared/index.ts';
import { createClient } from './client.ts';
import {
  type Args,
  type CliContext,
  type CommandSpec,
  type FlagSpec,
  GLOBAL_OPTIONS,
  parseArgsConfig,
  stringFlag,
} from './command.ts';
import { type CliConfig, clientToken } from './config.ts';
import { ApiProblem, EXIT, exitCodeOf, UsageError } from './errors.ts';
import { type Io, line } from './output.ts';

/** Runs `argv` against `commands` and returns the exit code (see `EXIT`). */
export const runCli = async (
  argv: readonly string[],
  commands: readonly CommandSpec[],
  env: { config: CliConfig; io: Io; untilInterrupted: () => Promise<void>; version: string },
): Promise<number> => {
  const { io } = env;
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    line(io.out, `kanade ${env.version}`);
    return EXIT.ok;
  }
  if (argv[0] === 'help') return helpFor(argv.slice(1), commands, io, true);
  const spec = findCommand(argv, commands);
  if (spec === undefined)
    return helpFor(argv, commands, io, argv.length === 0 || argv[0] === '--help' || argv[0] === '-h');
  try {
    const args = parse(spec, argv.slice(spec.path.length));
    if (args.values.help === true) {
      line(io.out, usageOf(spec));
      return EXIT.ok;
    }
    const ctx: CliContext = {
      config: env.config,
      io,
      untilInterrupted: env.untilInterrupted,
      client: () =>
        createClient(
          stringFlag(args, 'api-url') ?? env.config.apiUrl,
          clientToken(env.config, stringFlag(args, 'token')),
        ),
    };
    return await spec.run(args, ctx);
  } catch (error) {
    return reportError(error, spec, io);
  }
};

const findCommand = (argv: readonly string[], commands: readonly CommandSpec[]): CommandSpec | undefined =>
  [...commands].sort((a, b) => b.path.length - a.path.length).find((c) => c.path.every((word, i) => argv[i] === word));

const parse = (spec: CommandSpec, rest: readonly string[]): Args => {
  const flags = { ...GLOBAL_OPTIONS, ...spec.options };
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: parseArgsConfig(flags),
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Args['values'], positionals };
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    const unknown = /Unknown option '(--?[^']+)'/.exec(message)?.[1];
    const suggestion = unknown === undefined ? undefined : closest(unknown.replace(/^-+/, ''), Object.keys(flags));
    throw new UsageError(
      unknown === undefined
        ? message
        : `unknown flag ${unknown}${suggestion === undefined ? '' : ` (did you mean --${suggestion}?)`}`,
    );
  }
};

const reportError = (error: unknown, spec: CommandSpec, io: Io): number => {
  const code = exitCodeOf(error);
  if (error instanceof UsageError) {
    line(io.err, `kanade ${spec.path.join(' ')}: ${error.message}`);
    for (const issue of error.issues) line(io.err, `  ${formatIssue(issue)}`);
    if (error.issues.length === 0) line(io.err, `usage: ${spec.usage}   (kanade ${spec.path.join(' ')} --help)`);
    return code;
  }
  if (error instanceof ApiProblem) {
    line(io.err, `kanade ${spec.path.join(' ')}: ${error.message} (HTTP ${error.status})`);
    if (typeof error.body.detail === 'string') line(io.err, `  ${error.body.detail}`);
    for (const issue of error.issues) line(io.err, `  ${formatIssue(issue)}`);
    for (const key of ['applied', 'not_applied'] as const) {
      const items = error.body[key];
      if (Array.isArray(items) && items.length > 0)
        line(
          io.err,
          `  ${key.replace('_', ' ')}: ${items.map((i) => (typeof i === 'string' ? i : `${(i as { id: string }).id} (${(i as { status: string }).status})`)).join(', ')}`,
        );
    }
    if (error.status === 401)
      line(io.err, '  set KANADE_TOKEN (or --token) to the server token; `kanade dev` prints it');
    return code;
  }
  line(io.err, `kanade ${spec.path.join(' ')}: ${error instanceof Error ? error.message : String(error)}`);
  return code;
};

const flagLine = (name: string, f: FlagSpec) => {
  const head = `  --${name}${f.short === undefined ? '' : `, -${f.short}`}${f.type === 'string' ? ` <${f.value ?? 'value'}>` : ''}`;
  const tail = `${f.description}${f.default === undefined ? '' : ` (default: ${f.default})`}${f.multiple === true ? ' (repeatable)' : ''}`;
  return head.length < 30 ? `${head.padEnd(30)}${tail}` : `${head}\n${''.padEnd(30)}${tail}`;
};

/** The usage text of one command: what it does, and every flag with what it is for and its default. */
export const usageOf = (spec: CommandSpec): string => {
  const own = Object.entries(spec.options ?? {}).map(([name, f]) => flagLine(name, f));
  const global = Object.entries(GLOBAL_OPTIONS).map(([name, f]) => flagLine(name, f));
  return [
    `usage: ${spec.usage}`,
    '',
    spec.summary,
    ...(own.length > 0 ? ['', 'options:', ...own] : []),
    '',
    'global options:',
    ...global,
  ].join('\n');
};

const helpFor = (argv: readonly string[], commands: readonly CommandSpec[], io: Io, asked: boolean): number => {
  const words = argv.filter((a) => !a.startsWith('-'));
  const exact = words.length > 0 ? findCommand(words, commands) : undefined;
  if (asked && exact !== undefined) {
    line(io.out, usageOf(exact));
    return EXIT.ok;
  }
  const visible = (list: readonly CommandSpec[]) => list.filter((c) => c.hidden !== true);
  const noun = commands.filter((c) => c.path[0] === words[0]);
  if (!asked) {
    const depth = noun.length > 0 ? 2 : 1;
    const typed = words.slice(0, depth).join(' ');
    const known = [...new Set(commands.map((c) => c.path.slice(0, depth).join(' ')))];
    const suggestion = closest(typed, known);
    line(
      io.err,
      `kanade: unknown command: ${argv.join(' ')}${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
    );
    if (noun.length > 0)
      line(
        io.err,
        `commands of ${words[0]}:\n${visible(noun)
          .map((c) => `  ${c.usage}`)
          .join('\n')}`,
      );
    else line(io.err, 'kanade --help lists every command');
    return EXIT.usage;
  }
  const list = visible(noun.length > 0 ? noun : commands).flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]);
  line(
    io.out,
    ['kanade: a self-hosted fleet manager (event-sourced, on NATS JetStream)', '', 'commands:', ...list].join('\n'),
  );
  line(io.out, '\nrun `kanade help <command>` or `kanade <command> --help` for its options; `kanade --version`');
  return EXIT.ok;
};

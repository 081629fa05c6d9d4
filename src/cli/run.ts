import { parseArgs } from 'node:util';
import { formatIssue } from '../domain/shared/index.ts';
import { createClient } from './client.ts';
import { type Args, type CliContext, type CommandSpec, GLOBAL_OPTIONS, stringFlag } from './command.ts';
import { type CliConfig, clientToken } from './config.ts';
import { ApiProblem, UsageError } from './errors.ts';
import { type Io, line } from './output.ts';

/** Runs `argv` against `commands` and returns the exit code: 0 ok, 1 failure, 2 usage or invalid input. */
export const runCli = async (
  argv: readonly string[],
  commands: readonly CommandSpec[],
  env: { config: CliConfig; io: Io; untilInterrupted: () => Promise<void> },
): Promise<number> => {
  const { io } = env;
  const spec = findCommand(argv, commands);
  if (spec === undefined) return helpFor(argv, commands, io);
  try {
    const args = parse(spec, argv.slice(spec.path.length));
    if (args.values.help === true) {
      line(io.out, usageOf(spec));
      return 0;
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
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_OPTIONS, ...spec.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Args['values'], positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error));
  }
};

const reportError = (error: unknown, spec: CommandSpec, io: Io): number => {
  if (error instanceof UsageError) {
    line(io.err, `kanade ${spec.path.join(' ')}: ${error.message}`);
    for (const issue of error.issues) line(io.err, `  ${formatIssue(issue)}`);
    if (error.issues.length === 0) line(io.err, `usage: ${spec.usage}`);
    return 2;
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
    return error.isInvalidInput ? 2 : 1;
  }
  line(io.err, `kanade ${spec.path.join(' ')}: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
};

/** The usage text of one command. */
export const usageOf = (spec: CommandSpec): string => {
  const options = Object.entries(spec.options ?? {}).map(
    ([name, o]) => `  --${name}${o.type === 'string' ? ' <value>' : ''}`,
  );
  return [`usage: ${spec.usage}`, '', spec.summary, ...(options.length > 0 ? ['', 'options:', ...options] : [])].join(
    '\n',
  );
};

const helpFor = (argv: readonly string[], commands: readonly CommandSpec[], io: Io): number => {
  const asked = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help';
  const noun = commands.filter((c) => c.path[0] === argv[0]);
  const shown = noun.length > 0 ? noun : commands;
  const stream = asked ? io.out : io.err;
  if (!asked) line(stream, `kanade: unknown command: ${argv.join(' ')}`);
  const list = shown.flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]);
  line(
    stream,
    ['kanade: a self-hosted fleet manager (event-sourced, on NATS JetStream)', '', 'commands:', ...list].join('\n'),
  );
  line(stream, '\nrun `kanade <command> --help` for its options');
  return asked ? 0 : 2;
};

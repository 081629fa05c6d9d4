import type { CommandSpec } from './command.ts';
import { readConfig } from './config.ts';
import { runCli } from './run.ts';
import { untilInterrupted } from './signals.ts';
import { kanadeVersion } from './version.ts';

// `kanade agent` runs for months on every endpoint: it loads its own command only, not the other
// commands' modules (YAML, cron, the API client), which would stay resident for nothing.
const commandsFor = async (argv: readonly string[]): Promise<readonly CommandSpec[]> =>
  argv[0] === 'agent'
    ? [(await import('./commands/agent.ts')).agentCommand]
    : (await import('./commands/index.ts')).COMMANDS;

// The CLI's composition root: the only place that reads the environment and the process' streams.
const argv = process.argv.slice(2);
process.exitCode = await runCli(argv, await commandsFor(argv), {
  config: readConfig(process.env),
  io: { out: process.stdout, err: process.stderr },
  untilInterrupted,
  version: kanadeVersion(),
});

import { COMMANDS } from './commands/index.ts';
import { readConfig } from './config.ts';
import { runCli } from './run.ts';
import { untilInterrupted } from './signals.ts';
import { kanadeVersion } from './version.ts';

// The CLI's composition root: the only place that reads the environment and the process' streams.
process.exitCode = await runCli(process.argv.slice(2), COMMANDS, {
  config: readConfig(process.env),
  io: { out: process.stdout, err: process.stderr },
  untilInterrupted,
  version: kanadeVersion(),
});

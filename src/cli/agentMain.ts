import { agentCommand } from './commands/agent.ts';
import { readConfig } from './config.ts';
import { runCli } from './run.ts';
import { untilInterrupted } from './signals.ts';
import { kanadeVersion } from './version.ts';

// The composition root of `kanade agent` as `npm run build` bundles it (dist/agent/main.js): the
// agent command alone, so the bundle holds only the modules an agent loads. bin/kanade.js runs it
// for `kanade agent` while it matches the sources; otherwise the sources run through main.ts.
const argv = process.argv.slice(2);
process.exitCode = await runCli(argv, [agentCommand], {
  config: readConfig(process.env),
  io: { out: process.stdout, err: process.stderr },
  untilInterrupted,
  version: kanadeVersion(),
});

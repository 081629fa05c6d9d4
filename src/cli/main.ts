import { agentCommand } from './commands/agent.ts';
import { agentCommands } from './commands/agents.ts';
import { enrollmentCommands } from './commands/enrollment.ts';
import { eventCommands } from './commands/events.ts';
import { execCommands } from './commands/exec.ts';
import { fleetCommands } from './commands/fleet.ts';
import { jobCommands } from './commands/job.ts';
import { projectionCommands } from './commands/projections.ts';
import { scheduleCommands } from './commands/schedule.ts';
import { serverCommands } from './commands/server.ts';
import { readConfig } from './config.ts';
import { runCli } from './run.ts';

// The CLI's composition root: the only place that reads the environment and the process' streams.
const untilInterrupted = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

process.exitCode = await runCli(
  process.argv.slice(2),
  [
    ...serverCommands,
    agentCommand,
    ...jobCommands,
    ...scheduleCommands,
    ...execCommands,
    ...agentCommands,
    ...enrollmentCommands,
    ...fleetCommands,
    ...eventCommands,
    ...projectionCommands,
  ],
  { config: readConfig(process.env), io: { out: process.stdout, err: process.stderr }, untilInterrupted },
);

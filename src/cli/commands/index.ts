import type { CommandSpec } from '../command.ts';
import { accountCommands } from './accounts.ts';
import { agentCommand } from './agent.ts';
import { agentCommands } from './agents.ts';
import { configCommands } from './config.ts';
import { enrollmentCommands } from './enrollment.ts';
import { eventCommands } from './events.ts';
import { execCommands } from './exec.ts';
import { fleetCommands } from './fleet.ts';
import { inventoryCommand } from './inventory.ts';
import { jobCommands } from './job.ts';
import { projectionCommands } from './projections.ts';
import { scheduleCommands } from './schedule.ts';
import { serverCommands } from './server.ts';

/** Every `kanade` command, in the order `kanade --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  ...serverCommands,
  agentCommand,
  ...jobCommands,
  ...scheduleCommands,
  ...configCommands,
  ...execCommands,
  ...agentCommands,
  inventoryCommand,
  ...enrollmentCommands,
  ...accountCommands,
  ...fleetCommands,
  ...eventCommands,
  ...projectionCommands,
];

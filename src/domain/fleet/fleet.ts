import { DomainError } from '../shared/errors.ts';
import type { DomainCommand, DomainEvent } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';

/** The emergency stop: agents refuse new commands (exit 121) and, with kill_running, kill what runs. */
export type FleetHalted = DomainEvent<'FleetHalted', { reason: string; kill_running: boolean }>;
/** The fleet may work again. */
export type FleetResumed = DomainEvent<'FleetResumed', { reason?: string }>;
/** Every event of the fleet aggregate. */
export type FleetEvent = FleetHalted | FleetResumed;

/** Halt the fleet. */
export type HaltFleet = DomainCommand<'HaltFleet', { reason: string; kill_running: boolean }>;
/** Resume the fleet. */
export type ResumeFleet = DomainCommand<'ResumeFleet', { reason?: string }>;
/** Every command of the fleet aggregate. */
export type FleetCommand = HaltFleet | ResumeFleet;

/** Whether the fleet is halted, and whether running work was ordered killed. */
export type FleetState = { halted: boolean; killRunning: boolean; reason?: string };

/** The single fleet aggregate's stream. */
export const FLEET_STREAM = 'fleet-global';

const initialState = (): FleetState => ({ halted: false, killRunning: false });

const evolve = (_state: FleetState, event: FleetEvent): FleetState => {
  switch (event.type) {
    case 'FleetHalted':
      return { halted: true, killRunning: event.data.kill_running, reason: event.data.reason };
    case 'FleetResumed':
      return { halted: false, killRunning: false };
    default:
      return unreachable(event);
  }
};

// Halting a halted fleet again only appends when it escalates to killing running work.
const decide = (command: FleetCommand, state: FleetState): FleetEvent[] => {
  switch (command.type) {
    case 'HaltFleet':
      return state.halted && (state.killRunning || !command.data.kill_running)
        ? []
        : [{ type: 'FleetHalted', data: command.data }];
    case 'ResumeFleet':
      return state.halted ? [{ type: 'FleetResumed', data: command.data }] : [];
    default:
      return unreachable(command);
  }
};

/** The fleet decider (Emmett's Decider shape). */
export const fleetDecider = { decide, evolve, initialState };

/** New work is refused while the fleet is halted. */
export class FleetIsHalted extends DomainError {
  readonly code = 'fleet-halted';
  constructor(reason: string) {
    super(`the fleet is halted (${reason}); resume it first`);
    this.name = 'FleetIsHalted';
  }
}

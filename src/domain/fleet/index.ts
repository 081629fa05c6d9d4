export type {
  FleetCommand,
  FleetEvent,
  FleetHalted,
  FleetResumed,
  FleetState,
  HaltFleet,
  ResumeFleet,
} from './fleet.ts';
export { FLEET_STREAM, FleetIsHalted, fleetDecider } from './fleet.ts';

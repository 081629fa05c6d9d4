export type { ApplyJob, DeleteJob, JobCommand, RevokeJob, UnrevokeJob } from './commands.ts';
export type { JobState } from './decider.ts';
export { decide, evolve, initialState, jobDecider } from './decider.ts';
export { JobInUse, JobNotFound, VersionNotBumped } from './errors.ts';
export type { JobDeleted, JobEvent, JobRegistered, JobRevoked, JobUnrevoked, JobUpdated } from './events.ts';
export { JOB_EVENT_TYPES, jobStreamName } from './events.ts';
export type {
  Execute,
  InventoryColumn,
  InventoryField,
  InventoryHint,
  JobManifest,
  RunAs,
  Shell,
  Staleness,
} from './manifest.ts';
export { approvalsNeeded, DEFAULT_APPROVAL_TIMEOUT, INVENTORY_TYPES, RUN_AS, SHELLS } from './manifest.ts';

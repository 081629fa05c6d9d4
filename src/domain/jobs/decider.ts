import { canonicalJson } from '../shared/canonical.ts';
import { changedPaths } from '../shared/changes.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { ApplyJob, DeleteJob, JobCommand, RevokeJob, UnrevokeJob } from './commands.ts';
import { JobNotFound, VersionNotBumped } from './errors.ts';
import type { JobEvent } from './events.ts';
import type { JobManifest } from './manifest.ts';

/** What the catalog knows about one job id. */
export type JobState =
  | Readonly<{ status: 'absent' }>
  | Readonly<{ status: 'active'; manifest: JobManifest; revoked: boolean }>
  | Readonly<{ status: 'deleted'; version: string }>;

/** A job id nobody has registered. */
export const initialState = (): JobState => ({ status: 'absent' });

/** Folds one job event into the state. */
export const evolve = (state: JobState, event: JobEvent): JobState => {
  switch (event.type) {
    case 'JobRegistered':
      return { status: 'active', manifest: event.data.manifest, revoked: false };
    case 'JobUpdated':
      return { status: 'active', manifest: event.data.manifest, revoked: state.status === 'active' && state.revoked };
    case 'JobDeleted':
      return { status: 'deleted', version: event.data.version };
    case 'JobRevoked':
      return state.status === 'active' ? { ...state, revoked: true } : state;
    case 'JobUnrevoked':
      return state.status === 'active' ? { ...state, revoked: false } : state;
    default:
      return unreachable(event);
  }
};

/** Decides which events a command yields; [] means there is nothing to do. */
export const decide = (command: JobCommand, state: JobState): JobEvent[] => {
  switch (command.type) {
    case 'ApplyJob':
      return applyJob(command, state);
    case 'DeleteJob':
      return deleteJob(command, state);
    case 'RevokeJob':
      return revokeJob(command, state);
    case 'UnrevokeJob':
      return unrevokeJob(command, state);
    default:
      return unreachable(command);
  }
};

/** The job decider, in the shape Emmett's DeciderCommandHandler takes. */
export const jobDecider = { decide, evolve, initialState };

const applyJob = ({ data: { manifest } }: ApplyJob, state: JobState): JobEvent[] => {
  const { id: job_id, version } = manifest;
  if (state.status !== 'active') return [{ type: 'JobRegistered', data: { job_id, version, manifest } }];
  const current = state.manifest;
  if (canonicalJson(current) === canonicalJson(manifest)) return [];
  const changed = changedPaths(current, manifest);
  const runsDifferently = changed.filter((path) => path.startsWith('execute'));
  if (runsDifferently.length > 0 && current.version === version) {
    throw new VersionNotBumped(job_id, version, runsDifferently);
  }
  return [{ type: 'JobUpdated', data: { job_id, version, previous_version: current.version, manifest, changed } }];
};

const activeJob = (jobId: string, state: JobState) => {
  if (state.status !== 'active') throw new JobNotFound(jobId);
  return state;
};

const deleteJob = ({ data: { job_id } }: DeleteJob, state: JobState): JobEvent[] => {
  const { manifest } = activeJob(job_id, state);
  return [{ type: 'JobDeleted', data: { job_id, version: manifest.version } }];
};

const revokeJob = ({ data: { job_id, reason } }: RevokeJob, state: JobState): JobEvent[] => {
  const { manifest, revoked } = activeJob(job_id, state);
  if (revoked) return [];
  const data =
    reason === undefined ? { job_id, version: manifest.version } : { job_id, version: manifest.version, reason };
  return [{ type: 'JobRevoked', data }];
};

const unrevokeJob = ({ data: { job_id } }: UnrevokeJob, state: JobState): JobEvent[] => {
  const { manifest, revoked } = activeJob(job_id, state);
  return revoked ? [{ type: 'JobUnrevoked', data: { job_id, version: manifest.version } }] : [];
};

import {
  type JobCommand,
  type JobEvent,
  type JobManifest,
  type JobState,
  jobDecider,
  jobStreamName,
} from '../../domain/jobs/index.ts';
import { type CatalogEntry, type CatalogStatus, manifestCatalog } from '../catalog/manifestCatalog.ts';

const STATUS_OF: Record<JobEvent['type'], CatalogStatus> = {
  JobRegistered: 'created',
  JobUpdated: 'updated',
  JobDeleted: 'deleted',
  JobRevoked: 'revoked',
  JobUnrevoked: 'unrevoked',
};

const jobIdOf = (command: JobCommand): string =>
  command.type === 'ApplyJob' ? command.data.manifest.id : command.data.job_id;

const versionOf = (command: JobCommand, state: JobState): string => {
  if (command.type === 'ApplyJob') return command.data.manifest.version;
  return state.status === 'active' ? state.manifest.version : state.status === 'deleted' ? state.version : '';
};

/** The job catalog: apply manifests (created / updated / unchanged), delete, revoke, unrevoke. */
export const jobCatalog = manifestCatalog<JobManifest, JobCommand, JobEvent, JobState>({
  decider: jobDecider,
  streamName: jobStreamName,
  idOf: jobIdOf,
  apply: (manifest) => ({ type: 'ApplyJob', data: { manifest } }),
  delete: (job_id) => ({ type: 'DeleteJob', data: { job_id } }),
  describe: (command, events, seq, state): CatalogEntry => {
    const id = jobIdOf(command);
    const first = events[0];
    if (first === undefined) return { id, version: versionOf(command, state), status: 'unchanged', seq };
    const entry: CatalogEntry = { id, version: first.data.version, status: STATUS_OF[first.type], seq };
    return first.type === 'JobUpdated' ? { ...entry, changed: first.data.changed } : entry;
  },
});

import { evolve, initialState, type JobManifest, JobNotFound, jobStreamName } from '../../domain/jobs/index.ts';
import type { AppDeps } from '../deps.ts';

/** The registered manifest of a job, from the event store (not a read model: execs run exactly what is registered). */
export const registeredManifest = async (deps: Pick<AppDeps, 'store'>, jobId: string): Promise<JobManifest> => {
  const { state } = await deps.store.aggregateStream(jobStreamName(jobId), { evolve, initialState });
  if (state.status !== 'active') throw new JobNotFound(jobId);
  return state.manifest;
};

/** The job a schedule runs, as registered now, or why a slot cannot run it (gone, revoked). */
export const scheduledJob = async (
  deps: Pick<AppDeps, 'store'>,
  jobId: string,
): Promise<{ manifest: JobManifest; blocked?: undefined } | { blocked: string }> => {
  const { state } = await deps.store.aggregateStream(jobStreamName(jobId), { evolve, initialState });
  if (state.status !== 'active') return { blocked: `job ${jobId} is not in the catalog` };
  if (state.revoked) return { blocked: `job ${jobId} is revoked` };
  return { manifest: state.manifest };
};

import type { DomainCommand } from '../shared/messages.ts';
import type { JobManifest } from './manifest.ts';

/** Register the manifest, or update the registered one; nothing happens when it is unchanged. */
export type ApplyJob = DomainCommand<'ApplyJob', { manifest: JobManifest }>;
/** Remove the job from the catalog. */
export type DeleteJob = DomainCommand<'DeleteJob', { job_id: string }>;
/** Stop agents from running the job. */
export type RevokeJob = DomainCommand<'RevokeJob', { job_id: string; reason?: string }>;
/** Let agents run a revoked job again. */
export type UnrevokeJob = DomainCommand<'UnrevokeJob', { job_id: string }>;

/** Every command of the job aggregate. */
export type JobCommand = ApplyJob | DeleteJob | RevokeJob | UnrevokeJob;

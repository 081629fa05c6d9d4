import { DomainError } from '../shared/errors.ts';

/** The job id is not in the catalog (never registered, or deleted). */
export class JobNotFound extends DomainError {
  readonly code = 'job-not-found';
  readonly jobId: string;
  constructor(jobId: string) {
    super(`job ${jobId} is not in the catalog`);
    this.name = 'JobNotFound';
    this.jobId = jobId;
  }
}

/** What the job runs changed but its version did not: agents could not tell old commands from new ones. */
export class VersionNotBumped extends DomainError {
  readonly code = 'version-not-bumped';
  readonly jobId: string;
  readonly changed: readonly string[];
  constructor(jobId: string, version: string, changed: readonly string[]) {
    super(
      `job ${jobId}: ${changed.join(', ')} changed but version is still ${version}; bump the version`,
      changed.map((path) => ({ path, message: 'changed without a version bump' })),
    );
    this.name = 'VersionNotBumped';
    this.jobId = jobId;
    this.changed = changed;
  }
}

/** A job that schedules still run cannot be deleted: the schedules would fire nothing. */
export class JobInUse extends DomainError {
  readonly code = 'job-in-use';
  constructor(users: readonly { schedule_id: string; job_id: string }[]) {
    super(
      `${users.map((s) => `schedule ${s.schedule_id} runs job ${s.job_id}`).join('; ')}: delete or change the schedules first`,
      users.map((s) => ({ path: 'job_id', message: `used by schedule ${s.schedule_id}` })),
    );
    this.name = 'JobInUse';
  }
}

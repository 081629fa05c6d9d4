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
    super(`job ${jobId}: ${changed.join(', ')} changed but version is still ${version}; bump the version`);
    this.name = 'VersionNotBumped';
    this.jobId = jobId;
    this.changed = changed;
  }
}

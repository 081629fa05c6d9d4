import type { DomainEvent } from '../shared/messages.ts';
import type { JobManifest } from './manifest.ts';

/** A job id appeared in the catalog (first time, or again after a delete). */
export type JobRegistered = DomainEvent<'JobRegistered', { job_id: string; version: string; manifest: JobManifest }>;

/** A registered job's manifest changed; `changed` lists the paths that differ. */
export type JobUpdated = DomainEvent<
  'JobUpdated',
  { job_id: string; version: string; previous_version: string; manifest: JobManifest; changed: string[] }
>;

/** A job left the catalog. Agents treat commands for a deleted job as revoked. */
export type JobDeleted = DomainEvent<'JobDeleted', { job_id: string; version: string }>;

/** A job was revoked: agents skip its commands (exit 126) until it is unrevoked. */
export type JobRevoked = DomainEvent<'JobRevoked', { job_id: string; version: string; reason?: string }>;

/** A revoked job may run again. */
export type JobUnrevoked = DomainEvent<'JobUnrevoked', { job_id: string; version: string }>;

/** Every event of the job aggregate. */
export type JobEvent = JobRegistered | JobUpdated | JobDeleted | JobRevoked | JobUnrevoked;

/** Event type names of the job aggregate. */
export const JOB_EVENT_TYPES = ['JobRegistered', 'JobUpdated', 'JobDeleted', 'JobRevoked', 'JobUnrevoked'] as const;

/** The event-store stream of one job. */
export const jobStreamName = (jobId: string): string => `job-${jobId}`;

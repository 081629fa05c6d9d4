import { approvalsNeeded, type JobEvent, type JobManifest } from '../../domain/jobs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { del, type Projection, put, type RowChange, type RowOf, type RowReader } from '../projection.ts';

type JobRow = RowOf<'jobs'>;

/** The job catalog: one row per registered job, with its current version and revoke status. */
export const jobsProjection: Projection = {
  name: 'jobs',
  version: 1,
  apply: (event, rows) => (event.stream.startsWith('job-') ? applyJobEvent(event, rows) : []),
};

const applyJobEvent = (event: RecordedEvent, rows: RowReader): RowChange[] => {
  const e = event as unknown as RecordedEvent & JobEvent;
  const current = rows.get('jobs', { job_id: e.data.job_id });
  switch (e.type) {
    case 'JobRegistered':
      return [put('jobs', fromManifest(e.data.manifest, event, undefined))];
    case 'JobUpdated':
      return [put('jobs', fromManifest(e.data.manifest, event, current))];
    case 'JobDeleted':
      return [del('jobs', { job_id: e.data.job_id })];
    case 'JobRevoked':
      return current === undefined ? [] : [put('jobs', revoked(current, event, e.data.reason ?? null))];
    case 'JobUnrevoked':
      return current === undefined ? [] : [put('jobs', unrevoked(current, event))];
    default:
      return []; // a tolerant reader: event types it does not know (yet) change nothing
  }
};

const fromManifest = (m: JobManifest, event: RecordedEvent, current: JobRow | undefined): JobRow => ({
  job_id: m.id,
  version: m.version,
  description: m.description ?? null,
  shell: m.execute.shell,
  tags: JSON.stringify(m.tags),
  inventory: m.inventory === undefined ? 0 : 1,
  require_approval: approvalsNeeded(m), // how many approvers (0: none)
  manifest: JSON.stringify(m),
  revoked: current?.revoked ?? 0,
  revoked_at: current?.revoked_at ?? null,
  revoked_by: current?.revoked_by ?? null,
  revoke_reason: current?.revoke_reason ?? null,
  registered_at: current?.registered_at ?? event.at,
  registered_by: current?.registered_by ?? event.actor,
  updated_at: event.at,
  updated_by: event.actor,
  seq: event.seq,
});

const revoked = (row: JobRow, event: RecordedEvent, reason: string | null): JobRow => ({
  ...row,
  revoked: 1,
  revoked_at: event.at,
  revoked_by: event.actor,
  revoke_reason: reason,
  seq: event.seq,
});

const unrevoked = (row: JobRow, event: RecordedEvent): JobRow => ({
  ...row,
  revoked: 0,
  revoked_at: null,
  revoked_by: null,
  revoke_reason: null,
  seq: event.seq,
});

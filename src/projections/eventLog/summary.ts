import type { RecordedEvent } from '../../infra/eventStore/index.ts';

type Summarizer = (data: Record<string, unknown>) => string;

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

const SUMMARIES: Record<string, Summarizer> = {
  JobRegistered: (d) => `registered job ${str(d.job_id)} ${str(d.version)}`,
  JobUpdated: (d) =>
    `updated job ${str(d.job_id)} ${str(d.previous_version)} → ${str(d.version)} (${(d.changed as string[] | undefined)?.join(', ') ?? ''})`,
  JobDeleted: (d) => `deleted job ${str(d.job_id)} ${str(d.version)}`,
  JobRevoked: (d) =>
    `revoked job ${str(d.job_id)} ${str(d.version)}${d.reason === undefined ? '' : `: ${str(d.reason)}`}`,
  JobUnrevoked: (d) => `unrevoked job ${str(d.job_id)} ${str(d.version)}`,
  $Unreadable: (d) => `unreadable commit on ${str(d.subject)}: ${str(d.error)}`,
};

/** A one-line, human description of an event for the audit log; unknown types fall back to their name. */
export const summarize = (event: RecordedEvent): string => {
  const summarizer = SUMMARIES[event.type];
  try {
    return summarizer === undefined ? `${event.type} on ${event.stream}` : summarizer(event.data);
  } catch {
    return `${event.type} on ${event.stream}`;
  }
};

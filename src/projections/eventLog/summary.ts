import { waveLabel } from '../../domain/execs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';

type Summarizer = (data: Record<string, unknown>) => string;

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const because = (v: unknown) => (v === undefined ? '' : `: ${str(v)}`);
const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : '');
// The start of a public key: enough for an operator to compare with what the agent prints.
const fingerprint = (v: unknown) => (typeof v === 'string' ? `${v.slice(0, 12)}…` : '-');
const targetText = (t: unknown) => {
  const { all, groups, pcs } = (t ?? {}) as { all?: boolean; groups?: string[]; pcs?: string[] };
  return [
    all === true ? 'all' : '',
    groups?.length ? `groups ${list(groups)}` : '',
    pcs?.length ? `pcs ${list(pcs)}` : '',
  ]
    .filter(Boolean)
    .join(' + ');
};

const SUMMARIES: Record<string, Summarizer> = {
  JobRegistered: (d) => `registered job ${str(d.job_id)} ${str(d.version)}`,
  JobUpdated: (d) =>
    `updated job ${str(d.job_id)} ${str(d.previous_version)} → ${str(d.version)} (${(d.changed as string[] | undefined)?.join(', ') ?? ''})`,
  JobDeleted: (d) => `deleted job ${str(d.job_id)} ${str(d.version)}`,
  JobRevoked: (d) =>
    `revoked job ${str(d.job_id)} ${str(d.version)}${d.reason === undefined ? '' : `: ${str(d.reason)}`}`,
  JobUnrevoked: (d) => `unrevoked job ${str(d.job_id)} ${str(d.version)}`,
  AgentEnrolled: (d) => `agent ${str(d.pc_id)} enrolled (${str(d.hostname)}, ${str(d.os)}, ${str(d.agent_version)})`,
  AgentEnrollmentRequested: (d) =>
    `agent ${str(d.pc_id)} asked to enroll (${str(d.hostname)}, ${str(d.os)}, ${str(d.agent_version)}) with key ${fingerprint(d.public_key)}, token ${str(d.token_name)}`,
  AgentApproved: (d) =>
    `agent ${str(d.pc_id)} approved${d.auto_approved === true ? ' (auto-approve token)' : ''}: key ${fingerprint(d.public_key)}, groups [${list(d.groups)}]${d.replaced_key === undefined ? '' : `, replacing key ${fingerprint(d.replaced_key)}`}`,
  AgentRejected: (d) => `agent ${str(d.pc_id)} rejected: key ${fingerprint(d.public_key)}${because(d.reason)}`,
  AgentTerminated: (d) => `agent ${str(d.pc_id)} terminated${because(d.reason)}`,
  EnrollmentTokenCreated: (d) =>
    `enrollment token ${str(d.name)} created${d.auto_approve === true ? ' (auto-approve)' : ''}${d.expires_at === null ? '' : `, expires ${str(d.expires_at)}`}`,
  EnrollmentTokenRevoked: (d) => `enrollment token ${str(d.token_id)} revoked`,
  AgentGroupsSet: (d) => `groups of ${str(d.pc_id)} set to [${list(d.groups)}] (were [${list(d.previous)}])`,
  ExecRequested: (d) => {
    const waves = (d.rollout as { waves?: Parameters<typeof waveLabel>[0][] } | undefined)?.waves;
    const how = waves === undefined ? targetText(d.target) : `waves ${waves.map(waveLabel).join(' → ')}`;
    return `exec ${str(d.exec_id)}: ${str(d.job_id)} ${str(d.version)} on ${str(d.target_count)} PC(s) (${how})`;
  },
  WaveScheduled: (d) =>
    `exec ${str(d.exec_id)}: wave ${str(d.wave)} (${waveLabel(d as Parameters<typeof waveLabel>[0])}) due at ${str(d.due_at)}`,
  ExecDispatched: (d) => `exec ${str(d.exec_id)} dispatched to ${list(d.subjects)}`,
  WaveReleased: (d) =>
    `exec ${str(d.exec_id)}: wave ${str(d.wave)} released${d.deadline_at === undefined ? '' : ` (start by ${str(d.deadline_at)})`}`,
  WaveDispatched: (d) => `exec ${str(d.exec_id)}: wave ${str(d.wave)} dispatched`,
  ExecHalted: (d) => `exec ${str(d.exec_id)} halted before wave ${str(d.wave)}: ${str(d.reason)}`,
  ExecResumed: (d) => `exec ${str(d.exec_id)} resumed at wave ${str(d.wave)}`,
  ExecAborted: (d) => `exec ${str(d.exec_id)} aborted${because(d.reason)}`,
  KillRequested: (d) => `kill of exec ${str(d.exec_id)} requested${because(d.reason)}`,
  RunStarted: (d) => `${str(d.job_id)} started on ${str(d.pc_id)} (exec ${str(d.exec_id)})`,
  RunFinished: (d) =>
    `${str(d.job_id)} ${str(d.outcome)} on ${str(d.pc_id)}, exit ${str(d.exit_code)} (exec ${str(d.exec_id)})${because(d.reason)}`,
  RunReaped: (d) => `${str(d.job_id)} on ${str(d.pc_id)} given up as lost (exec ${str(d.exec_id)})${because(d.reason)}`,
  FleetHalted: (d) => `fleet halted${d.kill_running === true ? ', running work killed' : ''}${because(d.reason)}`,
  FleetResumed: (d) => `fleet resumed${because(d.reason)}`,
  ScheduleCreated: (d) => {
    const m = d.manifest as { cron: string; tz: string; job_id: string; mode: string };
    return `schedule ${str(d.schedule_id)} created: ${m.job_id} at "${m.cron}" ${m.tz} (${m.mode})`;
  },
  ScheduleUpdated: (d) => `schedule ${str(d.schedule_id)} updated (${list(d.changed)})`,
  ScheduleDeleted: (d) => `schedule ${str(d.schedule_id)} deleted`,
  ScheduleEnabled: (d) => `schedule ${str(d.schedule_id)} enabled`,
  ScheduleDisabled: (d) => `schedule ${str(d.schedule_id)} disabled`,
  ScheduleFired: (d) =>
    `schedule ${str(d.schedule_id)} fired ${str(d.slot)}${d.catch_up === true ? ' (late: catch-up)' : ''} → exec ${str(d.exec_id)}`,
  ScheduleSkipped: (d) =>
    `schedule ${str(d.schedule_id)} skipped ${str(d.count)} slot(s) ${str(d.from)}…${str(d.to)}: ${str(d.reason)}`,
  $Unreadable: (d) => `unreadable commit on ${str(d.subject)}: ${str(d.error)}`,
  $Refused: (d) => `refused ${str(d.type)} on ${str(d.subject)}: ${str(d.error)}`,
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

import { USER_EVENT_TYPES } from './accounts/users.ts';
import { AGENT_EVENT_TYPES } from './agents/events.ts';
import { CONFIG_EVENT_TYPES } from './config/decider.ts';
import { ENROLLMENT_TOKEN_EVENT_TYPES } from './enrollment/tokens.ts';
import type { ExecEvent } from './execs/events.ts';
import { FACTS_EVENT_TYPES } from './facts/facts.ts';
import type { FleetEvent } from './fleet/fleet.ts';
import type { JobEvent } from './jobs/events.ts';
import type { RunEvent } from './runs/events.ts';
import type { RunReaped } from './runs/reap.ts';
import type { ScheduleEvent } from './schedules/events.ts';

type Rule = { types: readonly string[]; owns: (id: readonly string[], data: Record<string, unknown>) => boolean };

const one =
  (field: string) =>
  (id: readonly string[], data: Record<string, unknown>): boolean =>
    id.length === 1 && data[field] === id[0];

// Each category of the event log: the events that may be recorded there, and how an event must name
// the stream it is on. Runs are `run.<pc>.<result>` (recorded before: `run.<result>`, with no pc).
const RULES: Record<string, Rule> = {
  job: {
    types: ['JobRegistered', 'JobUpdated', 'JobDeleted', 'JobRevoked', 'JobUnrevoked'] satisfies JobEvent['type'][],
    owns: one('job_id'),
  },
  agent: { types: AGENT_EVENT_TYPES, owns: one('pc_id') },
  exec: {
    types: [
      'ExecRequested',
      'ExecRequestPart',
      'ExecRequestedInParts',
      'WaveScheduled',
      'ExecDispatched',
      'WaveReleased',
      'WaveDispatched',
      'ExecHalted',
      'ExecResumed',
      'ExecAborted',
      'KillRequested',
      'ExecApproved',
      'ExecRejected',
      'ExecApprovalExpired',
    ] satisfies ExecEvent['type'][],
    owns: one('exec_id'),
  },
  run: {
    types: ['RunStarted', 'RunFinished', 'RunReaped'] satisfies (RunEvent | RunReaped)['type'][],
    owns: (id, data) =>
      id.length === 2 ? data.pc_id === id[0] && data.result_id === id[1] : id.length === 1 && data.result_id === id[0],
  },
  fleet: {
    types: ['FleetHalted', 'FleetResumed'] satisfies FleetEvent['type'][],
    owns: (id) => id.length === 1 && id[0] === 'global',
  },
  schedule: {
    types: [
      'ScheduleCreated',
      'ScheduleUpdated',
      'ScheduleDeleted',
      'ScheduleEnabled',
      'ScheduleDisabled',
      'ScheduleFired',
      'ScheduleSkipped',
    ] satisfies ScheduleEvent['type'][],
    owns: one('schedule_id'),
  },
  enrollment_token: { types: ENROLLMENT_TOKEN_EVENT_TYPES, owns: one('token_id') },
  user: { types: USER_EVENT_TYPES, owns: one('user') },
  facts: { types: FACTS_EVENT_TYPES, owns: one('pc_id') },
  config: { types: CONFIG_EVENT_TYPES, owns: (id, data) => data.layer === id.join('/') },
};

/**
 * Why an event may not stand on the stream it was recorded on, or undefined when it may: its type must
 * belong to the stream's category, and the ids it names (the pc, the result, the exec…) must be the
 * stream's. Readers skip what fails: a credential that can write one stream cannot speak for another.
 */
export const misplacedEvent = (
  category: string,
  id: readonly string[],
  event: { type: string; data: Record<string, unknown> },
): string | undefined => {
  const rule = RULES[category];
  if (rule === undefined) return `no events belong to category ${JSON.stringify(category)}`;
  if (!rule.types.includes(event.type)) return `${event.type} does not belong on a ${category} stream`;
  if (!rule.owns(id, event.data)) return `${event.type} names another ${category} than the stream it is on`;
  return undefined;
};

import * as v from 'valibot';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import { refusedResultIdOf, resultIdOf } from '../infra/runIds.ts';

// Run events are written by agents: everything in them is checked before a projection sees it.
const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const time = text(40);
const MAX_OUTPUT = 9 * 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;
const outputRef = v.pipe(
  v.object({
    chunks: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)),
    bytes: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(64 * CHUNK_BYTES)),
    sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  }),
  v.check(
    (r) => r.bytes <= r.chunks * CHUNK_BYTES && r.bytes > (r.chunks - 1) * CHUNK_BYTES - 1,
    'chunks and bytes disagree',
  ),
);
const identity = {
  result_id: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
  exec_id: text(64),
  request_id: text(64),
  job_id: text(128),
  version: text(64),
  pc_id: text(512),
};
const SCHEMAS: Record<string, v.GenericSchema> = {
  RunStarted: v.looseObject({ ...identity, started_at: time }),
  RunFinished: v.looseObject({
    ...identity,
    started_at: v.nullable(time),
    finished_at: time,
    exit_code: v.pipe(v.number(), v.integer(), v.minValue(-1), v.maxValue(2 ** 31 - 1)),
    outcome: v.picklist(['succeeded', 'failed', 'timed_out', 'killed', 'skipped', 'lost']),
    reason: v.optional(text(64 * 1024)),
    stdout: text(MAX_OUTPUT),
    stderr: text(MAX_OUTPUT),
    stdout_output: v.optional(outputRef),
    stderr_output: v.optional(outputRef),
    stdout_object: v.optional(text(512)),
    stderr_object: v.optional(text(512)),
  }),
  RunReaped: v.looseObject({ ...identity, reason: text(64 * 1024) }),
};

/**
 * Why a run event may not be applied, or undefined when it may: its fields must have the types and
 * sizes a projection writes (a malformed one would otherwise fail the whole batch), and its result id
 * must be the one derived from its request and its pc — so an agent can only ever report its own
 * result of a command it was sent, never another PC's, and never a second one for the same command.
 */
export const runEventProblem = (event: RecordedEvent): string | undefined => {
  const schema = SCHEMAS[event.type];
  if (schema === undefined) return undefined;
  const parsed = v.safeParse(schema, event.data);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    return `malformed ${event.type}: ${v.getDotPath(issue) ?? '(data)'}: ${issue.message}`;
  }
  const d = event.data as { result_id: string; request_id: string; pc_id: string; reason?: string };
  if (d.result_id === resultIdOf(d.request_id, d.pc_id)) return undefined;
  const refused = refusedResultIdOf(d.request_id, d.pc_id);
  if (d.result_id !== refused)
    return `${event.type}: result ${d.result_id} is not the result of request ${d.request_id} on ${d.pc_id}`;
  if (event.type !== 'RunFinished' || !String(d.reason ?? '').startsWith('refused: '))
    return `${event.type}: result ${d.result_id} is reserved for a command the agent refused`;
  return undefined;
};

import { misplacedEvent } from '../domain/boundary.ts';
// Straight from the modules, not the event store's index: the writer thread imports this file, and
// the index would load the event store itself (Emmett, the NATS client) into it for nothing.
import { decodeCommit, type RecordedEvent } from '../infra/eventStore/envelope.ts';
import { subjectParts } from '../infra/eventStore/subjects.ts';
import { runEventProblem } from './runEvents.ts';

/** A stream message as decoders see it (a JsMsg, or a stored message in tests and tools). */
export type StreamMessage = { subject: string; seq: number; string(): string; timestamp?: string };

/**
 * Decodes a message at the read boundary. A commit nobody can read becomes one `$Unreadable` event; an
 * event that does not belong on its subject (a type of another category, or naming another pc, run,
 * exec… than the subject) becomes `$Refused`. Both are recorded, never applied, never a stall.
 */
export const decodeMessage = (m: StreamMessage): RecordedEvent[] => {
  const parts = partsOf(m.subject);
  const stream = parts === undefined ? m.subject : parts.stream;
  let events: RecordedEvent[];
  try {
    events = decodeCommit(stream, m.seq, m.string());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return [marker('$Unreadable', { subject: m.subject, error: reason }, m, stream, 0)];
  }
  return events.map((event) => {
    const misplaced =
      parts === undefined
        ? 'not an event-log subject'
        : (misplacedEvent(parts.category, parts.id, event) ??
          (parts.category === 'run' ? runEventProblem(event) : undefined));
    return misplaced === undefined
      ? event
      : {
          ...marker('$Refused', { subject: m.subject, type: event.type, error: misplaced }, m, stream, event.index),
          actor: event.actor,
          at: event.at,
          commitId: event.commitId,
        };
  });
};

const marker = (
  type: '$Unreadable' | '$Refused',
  data: Record<string, unknown>,
  m: StreamMessage,
  stream: string,
  index: number,
): RecordedEvent => ({ type, schema: 1, data, seq: m.seq, index, stream, commitId: '', actor: 'unknown', at: '' });

type Parts = { category: string; id: string[]; stream: string };

// Subjects repeat (every commit of an aggregate has the same one): their parts are kept for a while,
// which spares decoding the id tokens again. Bounded: the map starts afresh once it is full.
const SUBJECT_CACHE = 10_000;
const subjects = new Map<string, Parts | undefined>();

const partsOf = (subject: string): Parts | undefined => {
  let parts = subjects.get(subject);
  if (parts !== undefined || subjects.has(subject)) return parts;
  const p = subjectParts(subject);
  parts = p === undefined ? undefined : { ...p, stream: `${p.category}-${p.id.join('/')}` };
  if (subjects.size >= SUBJECT_CACHE) subjects.clear();
  subjects.set(subject, parts);
  return parts;
};

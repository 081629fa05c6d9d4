import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { backoffDelay } from '../infra/backoff.ts';
import { decodeCommit } from '../infra/eventStore/envelope.ts';
import type { Logger } from '../infra/log.ts';
import { publishOutput } from '../infra/nats/output.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';

/** Output larger than this goes to the output stream in chunks; the event carries a pointer (kanade #227). */
export const INLINE_OUTPUT_BYTES = 256 * 1024;

type DrainDeps = {
  outbox: Outbox;
  js: JetStreamClient;
  jsm: JetStreamManager;
  log: Logger;
  signal: AbortSignal;
};

/**
 * Publishes the outbox oldest first, forever; a failure keeps the entry and retries with backoff. An
 * idle drain waits for the next entry without a timer (the outbox tells it of every entry it takes).
 */
export const drainOutbox = async (deps: DrainDeps): Promise<void> => {
  const { outbox, signal } = deps;
  let woken = false; // an entry arrived since the last pass began: no waiting
  let wake: () => void = () => {};
  const unsubscribe = outbox.onEnqueue(() => {
    woken = true;
    wake();
  });
  const appended = new Map<string, number>();
  // Resolves on the next entry, the abort, or after `ms` when given (the backoff after a failure).
  const woke = (ms?: number) =>
    new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        wake = () => {};
        resolve();
      }
      wake = done;
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted) done(); // aborted while the pass ran: its event has been and gone
    });
  try {
    for (let failures = 0; !signal.aborted; ) {
      woken = false;
      const outcome = await drainOnce(deps, appended);
      if (outcome === 'failed') failures++;
      else failures = 0;
      if (outcome === 'sent' || (outcome === 'idle' && woken)) continue;
      await woke(outcome === 'failed' ? backoffDelay(failures - 1, { minMs: 500, maxMs: 30_000 }) : undefined);
    }
  } finally {
    unsubscribe();
  }
};

// Publishes pending entries in order until one fails (kept, retried from it) or none is left.
const drainOnce = async (deps: DrainDeps, appended: Map<string, number>): Promise<'sent' | 'idle' | 'failed'> => {
  const { outbox, log } = deps;
  const names = outbox.pending();
  for (const name of names) {
    if (deps.signal.aborted) return 'idle';
    let entry: OutboxEntry;
    try {
      entry = outbox.read(name);
    } catch (error) {
      log.error('an outbox entry is unreadable; moved to outbox/dead', { name, error });
      outbox.bury(name);
      continue;
    }
    try {
      await publishEntry(deps, entry, appended);
      outbox.remove(name);
    } catch (error) {
      log.warn('outbox publish failed; will retry', { subject: entry.subject, error });
      return 'failed';
    }
  }
  return names.length > 0 ? 'sent' : 'idle';
};

// Runs this drain appended (RunStarted acknowledged) and the sequence JetStream gave it: the run's
// RunFinished then expects that sequence without reading the subject first.
const APPENDED_LIMIT = 1024;

const publishEntry = async (deps: DrainDeps, entry: OutboxEntry, appended: Map<string, number>): Promise<void> => {
  const body = entry.kind === 'run-finished' ? await offloadOutput(deps, entry.body, entry.msgId) : entry.body;
  switch (entry.kind) {
    case 'run-started': {
      const seq = await publishOnce(deps, entry, body, 0);
      if (seq === undefined) return;
      if (appended.size >= APPENDED_LIMIT) appended.clear();
      appended.set(entry.subject, seq);
      return;
    }
    case 'run-finished': {
      const after = appended.get(entry.subject);
      appended.delete(entry.subject);
      return publishFinished(deps, entry, body, after);
    }
    case 'event':
      await deps.js.publish(entry.subject, body, { msgID: entry.msgId });
  }
};

// Optimistic concurrency makes a retry idempotent even outside the duplicate window. Resolves the
// sequence of the append, or undefined when the subject had moved (already recorded).
const publishOnce = async (deps: DrainDeps, entry: OutboxEntry, body: string, lastSubjectSequence: number) => {
  try {
    return (await deps.js.publish(entry.subject, body, { msgID: entry.msgId, expect: { lastSubjectSequence } })).seq;
  } catch (error) {
    if (isWrongLastSequence(error)) return undefined; // already recorded
    throw error;
  }
};

const isWrongLastSequence = (error: unknown) =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence;

// Appends after our own RunStarted when nothing else was appended since (the common case: one
// publish); otherwise, or when the subject moved (the reaper's RunReaped, an earlier attempt whose ack
// was lost), reads the subject's last commit with a direct get, which an agent's credential is
// allowed for its own runs, and appends after it unless it is already a RunFinished.
const publishFinished = async (deps: DrainDeps, entry: OutboxEntry, body: string, after: number | undefined) => {
  if (after !== undefined) {
    try {
      await deps.js.publish(entry.subject, body, { msgID: entry.msgId, expect: { lastSubjectSequence: after } });
      return;
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
    }
  }
  const last = await deps.jsm.direct.getMessage(EVENTS_STREAM, { last_by_subj: entry.subject });
  if (last !== null && decodeCommit(entry.subject, last.seq, last.string()).some((e) => e.type === 'RunFinished'))
    return; // already recorded
  await publishOnce(deps, entry, body, last?.seq ?? 0);
};

// NATS refuses messages over 1 MB; keep every body comfortably under it.
const MAX_BODY_BYTES = 900 * 1024;

// Moves stdout/stderr whose JSON form is over the inline limit to the output stream (the subject is
// fixed per result and stream, so a retry writes the same chunks again). Sizes are measured as JSON:
// control characters grow sixfold when escaped. If the body is still too large, the output is replaced by a note.
const offloadOutput = async (deps: DrainDeps, body: string, nonce: string): Promise<string> => {
  if (Buffer.byteLength(body) <= INLINE_OUTPUT_BYTES) return body;
  const commit = JSON.parse(body) as { events: { data: Record<string, unknown> }[] };
  const data = commit.events[0]?.data;
  if (data === undefined) return body;
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = data[stream];
    if (typeof text !== 'string' || Buffer.byteLength(JSON.stringify(text)) <= INLINE_OUTPUT_BYTES) continue;
    const run = { pc_id: String(data.pc_id), result_id: String(data.result_id) };
    data[`${stream}_output`] = await publishOutput(deps.js, run, stream, text, nonce);
    data[stream] = '';
  }
  let out = JSON.stringify(commit);
  if (Buffer.byteLength(out) > MAX_BODY_BYTES) {
    for (const field of ['stdout', 'stderr', 'reason'] as const) {
      if (typeof data[field] === 'string')
        data[field] = `[kanade: ${field} dropped: the result would not fit in a NATS message]`;
    }
    out = JSON.stringify(commit);
  }
  return out;
};

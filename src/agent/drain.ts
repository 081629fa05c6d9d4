import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { backoffDelay } from '../infra/backoff.ts';
import { decodeCommit } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';

/** Output larger than this goes to the object store; the event carries a pointer (kanade #227). */
export const INLINE_OUTPUT_BYTES = 256 * 1024;

type DrainDeps = {
  outbox: Outbox;
  js: JetStreamClient;
  jsm: JetStreamManager;
  output: () => Promise<ObjectStore>;
  log: Logger;
  signal: AbortSignal;
};

/** Publishes the outbox oldest first, forever; a failure keeps the entry and retries with backoff. */
export const drainOutbox = async (deps: DrainDeps): Promise<void> => {
  const { outbox, log, signal } = deps;
  let wake: () => void = () => {};
  const unsubscribe = outbox.onEnqueue(() => wake());
  try {
    for (let failures = 0; !signal.aborted; ) {
      const pending = outbox.pending();
      let failed = false;
      for (const { name, entry } of pending) {
        if (signal.aborted) return;
        try {
          await publishEntry(deps, entry);
          outbox.remove(name);
          failures = 0;
        } catch (error) {
          failed = true;
          (failures === 0 ? log.warn : log.debug)('outbox publish failed; will retry', {
            subject: entry.subject,
            error,
          });
          break; // keep the order: retry from the oldest entry
        }
      }
      const delay = failed ? backoffDelay(failures++, { minMs: 500, maxMs: 30_000 }) : 1_000;
      if (failed || pending.length === 0) {
        await Promise.race([
          sleep(delay, undefined, { signal }).catch(() => {}),
          new Promise<void>((r) => {
            wake = r;
          }),
        ]);
      }
    }
  } finally {
    unsubscribe();
  }
};

const publishEntry = async (deps: DrainDeps, entry: OutboxEntry): Promise<void> => {
  const body = entry.kind === 'run-finished' ? await offloadOutput(deps, entry.body) : entry.body;
  switch (entry.kind) {
    case 'run-started':
      return publishOnce(deps, entry, body, 0);
    case 'run-finished':
      return publishFinished(deps, entry, body);
    case 'event':
      await deps.js.publish(entry.subject, body, { msgID: entry.msgId });
  }
};

// Optimistic concurrency makes a retry idempotent even outside the duplicate window.
const publishOnce = async (deps: DrainDeps, entry: OutboxEntry, body: string, lastSubjectSequence: number) => {
  try {
    await deps.js.publish(entry.subject, body, { msgID: entry.msgId, expect: { lastSubjectSequence } });
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) return; // already recorded
    throw error;
  }
};

const publishFinished = async (deps: DrainDeps, entry: OutboxEntry, body: string) => {
  const last = await deps.jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: entry.subject });
  if (last !== null && decodeCommit(entry.subject, last.seq, last.string()).some((e) => e.type === 'RunFinished'))
    return; // already recorded
  await publishOnce(deps, entry, body, last?.seq ?? 0);
};

// Replaces stdout/stderr over the inline limit with object-store pointers; the object name is fixed
// per result, so a retry writes the same object again.
const offloadOutput = async (deps: DrainDeps, body: string): Promise<string> => {
  if (body.length <= INLINE_OUTPUT_BYTES) return body;
  const commit = JSON.parse(body) as { events: { data: Record<string, unknown> }[] };
  const data = commit.events[0]?.data;
  if (data === undefined) return body;
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = data[stream];
    if (typeof text !== 'string' || Buffer.byteLength(text) <= INLINE_OUTPUT_BYTES) continue;
    const name = `${String(data.result_id)}/${stream}`;
    await (await deps.output()).putBlob({ name }, new TextEncoder().encode(text));
    data[stream] = '';
    data[`${stream}_object`] = name;
  }
  return JSON.stringify(commit);
};

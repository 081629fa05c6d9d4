import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { backoffDelay } from '../infra/backoff.ts';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import { groupsKey } from '../infra/nats/subjects.ts';
import { viewChanges } from '../projections/agentViews/agentViews.ts';
import { decodeMessage } from '../projections/runner.ts';

type Views = { jobStatus: KV; groups: KV; kills: KV; fleet: KV; meta: KV };

const CHECKPOINT = 'checkpoint';
const CHECKPOINT_EVERY = 500;

/** Applies what one event means for the agents' views (also used by the break-glass halt). */
export const applyViewChanges = async (views: Omit<Views, 'meta'>, event: RecordedEvent): Promise<void> => {
  for (const change of viewChanges(event, groupsKey)) {
    const kv = views[change.bucket];
    if (change.value === null) await kv.delete(change.key);
    else await kv.put(change.key, change.value);
  }
};

/**
 * Keeps the agents' KV views in step with the event log, in stream order, from a checkpoint kept in
 * KV. Puts are idempotent, so replaying after a crash converges; with no checkpoint (buckets wiped)
 * it rebuilds from sequence 1.
 */
export const startViewsWriter = (deps: { js: JetStreamClient; views: Views; log: Logger }) => {
  const abort = new AbortController();
  let position = 0;

  const apply = async (seq: number, subject: string, body: string) => {
    for (const event of decodeMessage({ subject, seq, string: () => body })) await applyViewChanges(deps.views, event);
  };

  const pass = async () => {
    const stored = await deps.views.meta.get(CHECKPOINT);
    position = stored === null || stored.operation !== 'PUT' ? 0 : Number(stored.string());
    const from = position + 1;
    const consumer = await deps.js.consumers.get(
      EVENTS_STREAM,
      from > 1
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }
        : { deliver_policy: DeliverPolicy.All },
    );
    const messages = await consumer.consume({ max_messages: 500 });
    const stop = () => void messages.close();
    abort.signal.addEventListener('abort', stop, { once: true });
    if (abort.signal.aborted) stop();
    let unsaved = 0;
    try {
      for await (const m of messages) {
        await apply(m.seq, m.subject, m.string());
        position = m.seq;
        if (++unsaved >= CHECKPOINT_EVERY || m.info.pending === 0) {
          await deps.views.meta.put(CHECKPOINT, String(position));
          unsaved = 0;
        }
      }
    } finally {
      abort.signal.removeEventListener('abort', stop);
      await messages.close();
    }
  };

  const running = (async () => {
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        await pass();
        attempt = -1;
      } catch (error) {
        if (abort.signal.aborted) return;
        (attempt === 0 ? deps.log.warn : deps.log.debug)('agent views writer failed; retrying', { error });
        await sleep(backoffDelay(attempt), undefined, { signal: abort.signal }).catch(() => {});
      }
    }
  })();

  return {
    /** Last event-log sequence reflected in the views. */
    position: () => position,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
};

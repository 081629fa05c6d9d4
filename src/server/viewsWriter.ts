import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { backoffDelay } from '../infra/backoff.ts';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { isBrokerUnavailable } from '../infra/nats/errors.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import { groupsKey } from '../infra/nats/subjects.ts';
import { type ViewChange, viewChanges } from '../projections/agentViews/agentViews.ts';
import { createPositionSignal } from '../projections/positionSignal.ts';
import { decodeMessage } from '../projections/runner.ts';
import { watchForStall } from '../projections/stallWatch.ts';
import type { LoopReporter } from './loopHealth.ts';

type Views = { jobStatus: KV; groups: KV; kills: KV; fleet: KV; meta: KV };

const CHECKPOINT = 'checkpoint';
const FOLD_LIMIT = 5_000;

const writeChange = async (views: Omit<Views, 'meta'>, change: ViewChange): Promise<void> => {
  const kv = views[change.bucket];
  const current = await kv.get(change.key);
  const value = current === null || current.operation !== 'PUT' ? null : current.string();
  if (value === change.value) return;
  if (change.value === null) await kv.delete(change.key);
  else await kv.put(change.key, change.value);
};

/**
 * Writes view changes, skipping values KV already holds (watchers then see only real changes). With
 * a reporter, a change that fails on its own (a key KV refuses, say) is reported and the others are
 * still written; a broker outage fails the whole batch (it is written again from the checkpoint).
 */
const writeChanges = async (
  views: Omit<Views, 'meta'>,
  changes: Iterable<ViewChange>,
  health?: LoopReporter,
): Promise<void> => {
  for (const change of changes) {
    const item = `${change.bucket}/${change.key}`;
    try {
      await writeChange(views, change);
      health?.unstuck(item);
    } catch (error) {
      if (health === undefined || isBrokerUnavailable(error)) throw error;
      health.stuck(item, error);
    }
  }
};

/** Applies what one event means for the agents' views (also used by the break-glass halt). */
export const applyViewChanges = (views: Omit<Views, 'meta'>, event: RecordedEvent): Promise<void> =>
  writeChanges(views, viewChanges(event, groupsKey));

/**
 * Keeps the agents' KV views in step with the event log, from a checkpoint kept in KV. Changes are
 * folded per key while catching up and written once, so a replay (after a crash, or from sequence 1
 * when the buckets were wiped) never makes agents see old values again (kanade #830).
 */
export const startViewsWriter = (deps: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  views: Views;
  log: Logger;
  health: LoopReporter;
}) => {
  const abort = new AbortController();
  const advanced = createPositionSignal();
  let position = 0;

  const flush = async (folded: Map<string, ViewChange>, seq: number) => {
    await writeChanges(deps.views, folded.values(), deps.health);
    deps.health.ok();
    folded.clear();
    await deps.views.meta.put(CHECKPOINT, String(seq));
    position = seq;
    advanced.notify(seq);
  };

  const fold = async (messages: AsyncIterable<JsMsg>) => {
    const folded = new Map<string, ViewChange>();
    for await (const m of messages) {
      for (const event of decodeMessage(m)) {
        for (const change of viewChanges(event, groupsKey)) folded.set(`${change.bucket}\u0000${change.key}`, change);
      }
      if (m.info.pending === 0 || folded.size >= FOLD_LIMIT) await flush(folded, m.seq);
    }
  };

  const pass = async () => {
    const stored = await deps.views.meta.get(CHECKPOINT);
    position = stored === null || stored.operation !== 'PUT' ? 0 : Number(stored.string());
    advanced.notify(position);
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
    const unwatch = watchForStall({
      position: () => position,
      head: async () => (await deps.jsm.streams.info(EVENTS_STREAM)).state.last_seq,
      onStall: (seq, head) => {
        deps.log.warn('the views writer stopped receiving from the stream; starting again from its checkpoint', {
          seq,
          head,
        });
        stop();
      },
    });
    try {
      await fold(messages);
    } finally {
      unwatch();
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
        deps.health.failed(error);
        await sleep(backoffDelay(attempt), undefined, { signal: abort.signal }).catch(() => {});
      }
    }
  })();

  return {
    /** Last event-log sequence reflected in the views. */
    position: () => position,
    /** Calls `listener` whenever the views have caught up further. */
    onAdvanced: advanced.subscribe,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
};

/** The views writer of a server. */
export type ViewsWriter = ReturnType<typeof startViewsWriter>;

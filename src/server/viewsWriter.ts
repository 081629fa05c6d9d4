import { setTimeout as sleep } from 'node:timers/promises';
import { type ConsumerMessages, DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { backoffDelay } from '../infra/backoff.ts';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { isBrokerUnavailable } from '../infra/nats/errors.ts';
import { VIEWS } from '../infra/nats/fleet.ts';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import { groupsKey } from '../infra/nats/subjects.ts';
import { mayChangeViews, type ViewChange, viewChanges } from '../projections/agentViews/agentViews.ts';
import { createPositionSignal } from '../projections/positionSignal.ts';
import { decodeMessage } from '../projections/runner.ts';
import { watchForStall } from '../projections/stallWatch.ts';
import type { LoopReporter } from './loopHealth.ts';

type Views = { jobStatus: KV; groups: KV; kills: KV; fleet: KV; config: KV; meta: KV };

/** Signs a view value for its bucket and key (agents believe nothing else). */
export type ViewSigner = (bucket: string, key: string, value: string) => string;

const CHECKPOINT = 'checkpoint';
// How the values are written, and with which key: a writer finding another format (or a value signed
// with another key, after a rotation) rewrites every view from sequence 1.
const FORMAT = 'format';
const FOLD_LIMIT = 5_000;
// A backlog is written at least this often, so the checkpoint moves while it is worked off.
const WRITE_EVERY_MS = 500;
// View writes in flight at once (each is a read and maybe a write of its own key).
const WRITE_WINDOW = 64;
const BUCKET_NAMES: Record<ViewChange['bucket'], string> = {
  jobStatus: VIEWS.jobStatus,
  groups: VIEWS.groups,
  kills: VIEWS.kills,
  fleet: VIEWS.fleet,
  config: VIEWS.config,
};

/**
 * What the writer knows KV holds, so it need not read a key before writing it: every value of the
 * buckets it loaded whole at the start of a pass (only it writes them), kept as it writes.
 */
type Known = { buckets: ReadonlySet<ViewChange['bucket']>; values: Map<string, string> };
const knownKey = (change: ViewChange) => `${change.bucket}\u0000${change.key}`;

// Signatures are deterministic (Ed25519), so a value already there compares equal and is not rewritten.
const writeChange = async (
  views: Omit<Views, 'meta'>,
  change: ViewChange,
  sign: ViewSigner | undefined,
  known: Known | undefined,
): Promise<void> => {
  const kv = views[change.bucket];
  const wanted =
    change.value === null || sign === undefined
      ? change.value
      : sign(BUCKET_NAMES[change.bucket], change.key, change.value);
  const value = known?.buckets.has(change.bucket)
    ? (known.values.get(knownKey(change)) ?? null)
    : await readValue(kv, change.key);
  if (value === wanted) return;
  if (wanted === null) await kv.delete(change.key);
  else await kv.put(change.key, wanted);
  if (wanted === null) known?.values.delete(knownKey(change));
  else known?.values.set(knownKey(change), wanted);
};

const readValue = async (kv: KV, key: string): Promise<string | null> => {
  const current = await kv.get(key);
  return current === null || current.operation !== 'PUT' ? null : current.string();
};

// The buckets that grow with the fleet (one key per agent, job or exec), read whole once per pass
// (the last value of every key, in one consumer) instead of one read per key written. The fleet
// bucket is left out: `fleet halt --direct` may write it while the server runs.
const LOADED_BUCKETS: readonly ViewChange['bucket'][] = ['groups', 'jobStatus', 'kills', 'config'];

const loadKnown = async (js: JetStreamClient, jsm: JetStreamManager): Promise<Known> => {
  const values = new Map<string, string>();
  for (const bucket of LOADED_BUCKETS) {
    const stream = `KV_${BUCKET_NAMES[bucket]}`;
    if ((await jsm.streams.info(stream)).state.messages === 0) continue;
    const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.LastPerSubject });
    for (let more = true; more; ) {
      more = false;
      for await (const m of await consumer.fetch({ max_messages: 10_000, expires: 5_000 })) {
        const key = m.subject.slice(`$KV.${BUCKET_NAMES[bucket]}.`.length);
        const op = m.headers?.get('KV-Operation') ?? '';
        if (op === '') values.set(`${bucket}\u0000${key}`, m.string());
        more = m.info.pending > 0;
        if (!more) break;
      }
    }
  }
  return { buckets: new Set(LOADED_BUCKETS), values };
};

/**
 * Writes view changes, skipping values KV already holds (watchers then see only real changes), one
 * change per key (callers fold them). With
 * a reporter, a change that fails on its own (a key KV refuses, say) is reported and the others are
 * still written; a broker outage fails the whole batch (it is written again from the checkpoint).
 */
const writeChanges = async (
  views: Omit<Views, 'meta'>,
  changes: Iterable<ViewChange>,
  sign: ViewSigner | undefined,
  health?: LoopReporter,
  known?: Known,
): Promise<void> => {
  const write = async (change: ViewChange) => {
    const item = `${change.bucket}/${change.key}`;
    try {
      await writeChange(views, change, sign, known);
      health?.unstuck(item);
    } catch (error) {
      if (health === undefined || isBrokerUnavailable(error)) throw error;
      health.stuck(item, error);
    }
  };
  // Changes are folded per key, so keys are independent: they are written a window at a time.
  const all = [...changes];
  for (let i = 0; i < all.length; i += WRITE_WINDOW) await Promise.all(all.slice(i, i + WRITE_WINDOW).map(write));
};

/**
 * Applies what one event means for the agents' views (the break-glass halt). Without the signing key
 * the values go unsigned: agents then count the halt flag as halted whatever it says.
 */
export const applyViewChanges = (
  views: Omit<Views, 'meta'>,
  event: RecordedEvent,
  sign: ViewSigner | undefined,
): Promise<void> =>
  writeChanges(
    views,
    new Map(viewChanges(event, groupsKey).map((c) => [`${c.bucket}\u0000${c.key}`, c])).values(),
    sign,
  );

/**
 * Keeps the agents' KV views in step with the event log, from a checkpoint kept in KV. Changes are
 * folded per key while catching up and written once, so a replay (after a crash, or from sequence 1
 * when the buckets were wiped) never makes agents see old values again (kanade #830).
 */
export const startViewsWriter = (deps: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  views: Views;
  sign: ViewSigner;
  /** The public key the values are signed with. */
  signedBy: string;
  log: Logger;
  health: LoopReporter;
}) => {
  // The views' format: how they are signed, and which instance of the event stream they mirror (a
  // stream deleted and created again is another history: every view is rewritten from it).
  const formatOf = async () => `signed-v1:${deps.signedBy}@${(await deps.jsm.streams.info(EVENTS_STREAM)).created}`;
  const abort = new AbortController();
  const advanced = createPositionSignal();
  let position = 0;
  // The last sequence received (written or not): what the stall watch judges progress by.
  let received = 0;
  let known: Known | undefined;

  const flush = async (folded: Map<string, ViewChange>, seq: number) => {
    await writeChanges(deps.views, folded.values(), deps.sign, deps.health, known);
    deps.health.ok();
    await deps.views.meta.put(CHECKPOINT, String(seq));
    position = seq;
    advanced.notify(seq);
  };

  // Folds while the previous batch is being written (one write at a time, so the checkpoint only
  // moves forward): a backlog goes out in big batches, a quiet stream one event at a time. The loop
  // never waits on a write — a consumer kept waiting misses its heartbeats and stalls — and needs not:
  // what it holds is folded per key, so it is never more than one change per view key.
  const fold = async (messages: ConsumerMessages) => {
    let folded = new Map<string, ViewChange>();
    let seq = position;
    let writing: Promise<void> | undefined;
    let again = false;
    let failure: { error: unknown } | undefined;
    let lastWrite = performance.now();
    const write = () => {
      lastWrite = performance.now();
      const batch = folded;
      const upTo = seq;
      folded = new Map();
      writing = flush(batch, upTo)
        .catch((error: unknown) => {
          failure ??= { error };
          void messages.close();
        })
        .finally(() => {
          writing = undefined;
          if (again && failure === undefined) {
            again = false;
            write();
          }
        });
    };
    for await (const m of messages) {
      if (mayChangeViews(m.subject))
        for (const event of decodeMessage(m)) {
          for (const change of viewChanges(event, groupsKey)) folded.set(`${change.bucket}\u0000${change.key}`, change);
        }
      seq = m.seq;
      received = m.seq;
      const due = performance.now() - lastWrite >= WRITE_EVERY_MS;
      if (m.info.pending > 0 && folded.size < FOLD_LIMIT && !due) continue;
      if (failure !== undefined) break;
      if (writing === undefined) write();
      else again = true;
    }
    while (writing !== undefined) await writing;
    if (failure !== undefined) throw failure.error;
  };

  // The checkpoint, unless the views were written in another format (then every view is rewritten)
  // or it is not a sequence (someone wrote over it): 0 means a full, idempotent refold.
  const checkpoint = async (): Promise<number> => {
    const format = await formatOf();
    const stored = await deps.views.meta.get(FORMAT);
    if (stored === null || stored.operation !== 'PUT' || stored.string() !== format) {
      await deps.views.meta.put(CHECKPOINT, '0');
      await deps.views.meta.put(FORMAT, format);
      return 0;
    }
    const saved = await deps.views.meta.get(CHECKPOINT);
    const seq = saved === null || saved.operation !== 'PUT' ? 0 : Number(saved.string());
    return Number.isSafeInteger(seq) && seq >= 0 ? seq : 0;
  };

  const pass = async () => {
    position = await checkpoint();
    known = await loadKnown(deps.js, deps.jsm);
    received = position;
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
      position: () => received,
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

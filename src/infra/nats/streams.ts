import {
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import { isReplicasNotSupported, type Replicas, reconcileReplicas, replicasField } from './replicas.ts';

/** The event log: the system of record. Never ages out, never deleted or purged. */
export const EVENTS_STREAM = 'KANADE_EVENTS';
/** Subject prefix of every event commit: `kanade.ev.<category>.<id>`. */
export const EVENTS_SUBJECT_PREFIX = 'kanade.ev';

/**
 * A stream that is part of the record (the event log, large output): kept on file without any age,
 * size or count limit, and protected from deleting and purging messages.
 */
export const recordStreamConfig = (name: string, subjects: string[]): Partial<StreamConfig> & { name: string } => ({
  name,
  subjects,
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_age: 0,
  max_msgs: -1,
  max_bytes: -1,
  max_msgs_per_subject: -1,
  deny_delete: true,
  deny_purge: true,
  duplicate_window: nanos(2 * 60_000),
});

/** The stream configuration kanade expects for the event log (`replicas` copies, when asked for). */
export const eventsStreamConfig = (replicas?: Replicas): Partial<StreamConfig> & { name: string } => ({
  ...recordStreamConfig(EVENTS_STREAM, [`${EVENTS_SUBJECT_PREFIX}.>`]),
  allow_direct: true,
  ...replicasField(replicas),
});

const STREAM_NAME_IN_USE = 10058;

// The fields kanade owns; anything else on an existing stream (placement, say) is the operator's. The
// replica count is owned only when the configuration names one (`--replicas` was given), and changed
// on its own: a cluster too small for it must not hold back the other fixes.
const OWNED: readonly (keyof StreamConfig)[] = [
  'subjects',
  'max_age',
  'max_msgs',
  'max_bytes',
  'max_msgs_per_subject',
  'deny_delete',
  'deny_purge',
  'allow_direct',
  'duplicate_window',
  'discard',
];

/**
 * Creates the stream, or brings an existing one in line with `config`. A drift the server refuses to
 * change (storage, retention, more replicas than servers) is logged and left alone: the original
 * crashed on boot here (kanade #506). A single nats-server asked for several replicas gets the stream
 * with one, and a warning.
 */
export const ensureStream = async (
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
  log: Logger,
): Promise<void> => {
  const existing = await jsm.streams.info(config.name).catch(() => undefined);
  if (existing === undefined) {
    try {
      await jsm.streams.add(config);
      log.info('created stream', { stream: config.name, replicas: config.num_replicas ?? 1 });
      return;
    } catch (error) {
      if (isReplicasNotSupported(error)) {
        log.warn('this nats-server is not part of a cluster: the stream gets one replica', {
          stream: config.name,
          wanted: config.num_replicas,
        });
        return ensureStream(jsm, { ...config, num_replicas: 1 }, log);
      }
      if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
    }
  }
  const current = existing?.config ?? (await jsm.streams.info(config.name)).config;
  const fixed = FIXED.filter((k) => k in config && JSON.stringify(current[k]) !== JSON.stringify(config[k]));
  if (fixed.length > 0) {
    log.warn('stream differs in settings JetStream cannot change; running with them', {
      stream: config.name,
      fields: Object.fromEntries(fixed.map((k) => [k, current[k]])),
    });
  }
  const drift = OWNED.filter((k) => k in config && JSON.stringify(current[k]) !== JSON.stringify(config[k]));
  if (drift.length > 0) await updateOwned(jsm, config, current, drift, log);
  await reconcileReplicas(jsm, config.name, config.num_replicas, log);
};

const updateOwned = async (
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
  current: StreamConfig,
  drift: (keyof StreamConfig)[],
  log: Logger,
) => {
  try {
    await jsm.streams.update(config.name, { ...current, ...pick(config, drift) });
    log.info('updated stream configuration', { stream: config.name, fields: drift });
  } catch (error) {
    log.warn('stream configuration drifted and could not be updated; running with it', {
      stream: config.name,
      fields: drift,
      error,
    });
  }
};

// Settings JetStream refuses to change on an existing stream.
const FIXED: readonly (keyof StreamConfig)[] = ['storage', 'retention'];

const pick = <T extends object>(obj: T, keys: readonly (keyof T)[]): Partial<T> =>
  Object.fromEntries(keys.map((k) => [k, obj[k]])) as Partial<T>;

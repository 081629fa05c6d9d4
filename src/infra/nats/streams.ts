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

/** The stream configuration kanade expects for the event log. */
export const eventsStreamConfig = (): Partial<StreamConfig> & { name: string } => ({
  ...recordStreamConfig(EVENTS_STREAM, [`${EVENTS_SUBJECT_PREFIX}.>`]),
  allow_direct: true,
});

const STREAM_NAME_IN_USE = 10058;

// The fields kanade owns; anything else on an existing stream (replicas, placement) is the operator's.
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
 * change (storage, retention) is logged and left alone: the original crashed on boot here (kanade #506).
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
      log.info('created stream', { stream: config.name });
      return;
    } catch (error) {
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
  if (drift.length === 0) return;
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

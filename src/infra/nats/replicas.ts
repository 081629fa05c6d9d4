import { JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '../log.ts';

/** JetStream keeps at most five copies of a stream. */
export const MAX_REPLICAS = 5;

/** "replicas > 1 not supported in non-clustered mode": a single nats-server asked for copies it cannot keep. */
export const REPLICAS_NOT_SUPPORTED = 10074;

/** True when the server refused a replica count because it is not part of a cluster. */
export const isReplicasNotSupported = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === REPLICAS_NOT_SUPPORTED;

/**
 * The replica count kanade was asked for (`--replicas`, `KANADE_REPLICAS`): undefined leaves the
 * count of existing streams and buckets alone and creates new ones with JetStream's default (1).
 */
export type Replicas = number | undefined;

/** `num_replicas` for a stream configuration, when a count was asked for. */
export const replicasField = (replicas: Replicas): { num_replicas?: number } =>
  replicas === undefined ? {} : { num_replicas: replicas };

/**
 * Brings the replica count of an existing stream (a KV bucket's or object store's stream, say) to
 * `replicas`. nats-server 2.9 changes it by a stream update (scaling up copies the data to the new
 * peers, and the stream has no leader for a moment); when it cannot (a single server, too few servers
 * up), the stream keeps running with the count it has and a warning says so: a boot never fails on it.
 */
export const reconcileReplicas = async (
  jsm: JetStreamManager,
  stream: string,
  replicas: Replicas,
  log: Logger,
): Promise<void> => {
  if (replicas === undefined) return;
  const { config, cluster } = await jsm.streams.info(stream);
  const current = config.num_replicas ?? 1;
  if (current === replicas) return;
  // A single server takes the update and keeps one copy while saying three: never ask it.
  if (cluster === undefined && replicas > 1) {
    log.warn('this nats-server is not part of a cluster: the stream keeps one replica', { stream, wanted: replicas });
    return;
  }
  try {
    await jsm.streams.update(stream, { ...config, num_replicas: replicas });
    log.info('changed the replica count of a stream', { stream, from: current, to: replicas });
  } catch (error) {
    log.warn('the replica count of a stream could not be changed; running with it', {
      stream,
      replicas: current,
      wanted: replicas,
      error,
    });
  }
};

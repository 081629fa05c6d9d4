import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { retryForever } from '../infra/backoff.ts';
import type { Logger } from '../infra/log.ts';
import { onStatus } from './status.ts';

/**
 * Follows one KV key without a watch (a watch is a consumer on the server, one per agent): a core
 * subscription on the key's subject delivers every change as it is written, and the key is read
 * again on start and after every reconnect for what a disconnection missed. `onValue` gets undefined
 * for a deleted key; a failed read changes nothing.
 */
export const followKey = async (deps: {
  nc: NatsConnection;
  kv: KV;
  bucket: string;
  key: string;
  onValue: (value: string | undefined) => void | Promise<void>;
  log: Logger;
  signal: AbortSignal;
}): Promise<void> => {
  const { nc, kv, key, signal } = deps;
  let last: string | undefined | null = null; // null: nothing seen yet
  const deliver = async (value: string | undefined) => {
    if (value === last) return;
    last = value;
    await deps.onValue(value);
  };
  const readNow = async () => {
    const entry = await kv.get(key);
    await deliver(entry === null || entry.operation !== 'PUT' ? undefined : entry.string());
  };
  const sub = nc.subscribe(`$KV.${deps.bucket}.${key}`, {
    callback: (error, msg) => {
      if (error !== null) return;
      const op = msg.headers?.get('KV-Operation');
      void deliver(op === 'DEL' || op === 'PURGE' ? undefined : msg.string());
    },
  });
  await nc.flush().catch(() => {});
  await retryForever(`read ${deps.bucket}/${key}`, readNow, deps.log, { signal }).catch(() => {});
  await onStatus(nc, signal, async (status) => {
    if (status.type === 'reconnect')
      await retryForever(`read ${deps.bucket}/${key}`, readNow, deps.log, { signal }).catch(() => {});
  });
  sub.unsubscribe();
};

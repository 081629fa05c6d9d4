import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';

/** Options for a long-lived connection to the broker. */
export type NatsOptions = {
  url: string;
  name: string;
  log: Logger;
  token?: string;
  /** One-shot tools fail instead of waiting forever for a broker that is not there. */
  failFast?: boolean;
};

/**
 * Connects to NATS and keeps reconnecting forever, including when the broker is not up yet:
 * every kanade process must survive a cold or restarting broker.
 */
export const connectNats = async ({
  url,
  name,
  log,
  token,
  failFast = false,
}: NatsOptions): Promise<NatsConnection> => {
  const nc = await connect({
    servers: url.split(',').map((s) => s.trim()),
    name,
    waitOnFirstConnect: !failFast,
    maxReconnectAttempts: failFast ? 3 : -1,
    reconnectTimeWait: 1000,
    pingInterval: 20_000,
    ...(token === undefined ? {} : { token }),
  });
  watchStatus(nc, log);
  return nc;
};

const watchStatus = (nc: NatsConnection, log: Logger): void => {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') log.warn('disconnected from NATS', { server: s.server });
      else if (s.type === 'reconnect') log.info('reconnected to NATS', { server: s.server });
      else if (s.type === 'error') log.error('NATS error', { error: s.error });
    }
  })();
};

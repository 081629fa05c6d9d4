import type { NatsConnection } from '@nats-io/transport-node';
import { onStatus } from './status.ts';

/**
 * How long the agent has been cut off from the broker: 0 while connected (kanade's staleness). A
 * `strict` job refuses to run (127) when its views may be older than it allows.
 */
export const trackConnection = (nc: NatsConnection, now: () => number, signal: AbortSignal) => {
  let disconnectedAt: number | undefined;
  void onStatus(nc, signal, (status) => {
    if (status.type === 'disconnect') disconnectedAt ??= now();
    if (status.type === 'reconnect') disconnectedAt = undefined;
  });
  return {
    stalenessSecs: (): number => {
      if (nc.isClosed()) return Number.POSITIVE_INFINITY;
      return disconnectedAt === undefined ? 0 : Math.floor((now() - disconnectedAt) / 1000);
    },
  };
};

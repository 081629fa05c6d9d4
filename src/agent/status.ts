import type { NatsConnection, Status } from '@nats-io/transport-node';

/**
 * Calls `react` for every connection status event until `signal` aborts. The status iterator only
 * yields when something happens, so each wait is raced against the abort: stopping never hangs.
 */
export const onStatus = async (
  nc: NatsConnection,
  signal: AbortSignal,
  react: (status: Status) => void | Promise<void>,
): Promise<void> => {
  if (signal.aborted) return;
  const iterator = nc.status()[Symbol.asyncIterator]();
  const aborted = new Promise<IteratorResult<Status>>((resolve) =>
    signal.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true }),
  );
  for (;;) {
    const next = await Promise.race([iterator.next(), aborted]);
    if (next.done === true || signal.aborted) return;
    await react(next.value);
  }
};

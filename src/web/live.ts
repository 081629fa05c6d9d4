import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

/** What live updates follow: the read models' position, moved after every applied batch. */
export type LiveSource = { position(): number; onApplied(listener: (seq: number) => void): () => void };

const THROTTLE_MS = 400;
const KEEPALIVE_MS = 15_000;

/**
 * Server-sent events for the dashboard: `seq` whenever the read models moved (at most a few per
 * second), a keepalive otherwise. Pages refresh their live regions on each `seq`. `close()` ends
 * every open stream and answers later connections 204, which tells browsers to stop reconnecting
 * (an open stream would hold the HTTP server open while it shuts down).
 */
export const liveUpdates = (source: LiveSource) => {
  const open = new Set<{ abort(): void }>();
  let closed = false;
  const handler = (c: Context) => {
    if (closed) return c.body(null, 204);
    c.header('Cache-Control', 'no-store');
    return streamSSE(c, async (stream) => {
      let throttle: NodeJS.Timeout | undefined;
      const write = (event: string, data: string) => void stream.writeSSE({ event, data }).catch(() => stream.abort());
      const unsubscribe = source.onApplied(() => {
        throttle ??= setTimeout(() => {
          throttle = undefined;
          write('seq', String(source.position()));
        }, THROTTLE_MS);
      });
      const keepalive = setInterval(() => write('keepalive', ''), KEEPALIVE_MS);
      const handle = { abort: () => stream.abort() };
      const ended = new Promise<void>((resolve) =>
        stream.onAbort(() => {
          unsubscribe();
          clearTimeout(throttle);
          clearInterval(keepalive);
          open.delete(handle);
          resolve();
        }),
      );
      open.add(handle);
      await stream.writeSSE({ event: 'seq', data: String(source.position()), retry: 3000 });
      await ended;
    });
  };
  return {
    handler,
    close: () => {
      closed = true;
      for (const s of open) s.abort();
    },
  };
};

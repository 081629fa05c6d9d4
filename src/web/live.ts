import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

/** What live updates follow: the read models' position, moved after every applied batch. */
export type LiveSource = { position(): number; onApplied(listener: (seq: number) => void): () => void };

const THROTTLE_MS = 400;
const KEEPALIVE_MS = 15_000;

/**
 * Server-sent events for the dashboard: `seq` whenever the read models moved (at most a few per
 * second), a keepalive otherwise. Pages refresh their live regions on each `seq`. `close()` ends
 * every open stream (the HTTP server cannot stop while they are open).
 */
export const liveUpdates = (source: LiveSource) => {
  const open = new Set<{ abort(): void }>();
  const handler = (c: Context) =>
    streamSSE(c, async (stream) => {
      let timer: NodeJS.Timeout | undefined;
      const send = () => {
        timer = undefined;
        void stream.writeSSE({ event: 'seq', data: String(source.position()) }).catch(() => stream.abort());
      };
      const unsubscribe = source.onApplied(() => {
        timer ??= setTimeout(send, THROTTLE_MS);
      });
      const handle = { abort: () => stream.abort() };
      open.add(handle);
      stream.onAbort(() => {
        unsubscribe();
        clearTimeout(timer);
        open.delete(handle);
      });
      await stream.writeSSE({ event: 'seq', data: String(source.position()), retry: 3000 });
      while (!stream.aborted && !stream.closed) {
        await stream.sleep(KEEPALIVE_MS);
        if (!stream.aborted) await stream.writeSSE({ event: 'keepalive', data: '' }).catch(() => stream.abort());
      }
    });
  return {
    handler,
    close: () => {
      for (const s of open) s.abort();
    },
  };
};

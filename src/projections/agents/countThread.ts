import { Worker } from 'node:worker_threads';
import type { CountReply, CountRequest } from './countWorker.ts';

/** Counts on a thread of its own, so a count over tens of thousands of rows never holds the event loop. */
export type CountThread = { count(sql: string, parameters: readonly unknown[]): Promise<number> };

// A thread unused this long closes (and with it its connection, which may be to a retired file).
const IDLE_MS = 30_000;
const threads = new Map<string, CountThread>();

/** The count thread of a read-model file, started on first use; it closes itself when idle. */
export const countThreadOf = (file: string): CountThread => {
  const held = threads.get(file);
  if (held !== undefined) return held;
  const worker = new Worker(new URL('./countWorker.ts', import.meta.url), { workerData: file });
  worker.unref();
  const waiting = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  let next = 0;
  let idle: NodeJS.Timeout | undefined;
  const forget = (error: Error) => {
    if (threads.get(file) === thread) threads.delete(file);
    clearTimeout(idle);
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('message', (reply: CountReply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    if ('error' in reply) w?.reject(new Error(reply.error));
    else w?.resolve(reply.n);
  });
  worker.on('error', forget);
  worker.on('exit', () => forget(new Error('the count thread exited')));
  const thread: CountThread = {
    count: (sql, parameters) =>
      new Promise((resolve, reject) => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          threads.delete(file);
          worker.postMessage('close');
        }, IDLE_MS);
        idle.unref();
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, sql, parameters } satisfies CountRequest);
      }),
  };
  threads.set(file, thread);
  return thread;
};

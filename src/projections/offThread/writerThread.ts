import { Worker } from 'node:worker_threads';
import type { BatchReply, BatchRequest, WorkerInit } from './protocol.ts';

/** A writer thread on a read-model file: batches go in, in order; each answer comes back in order. */
export type WriterThread = {
  apply(batch: BatchRequest): Promise<Extract<BatchReply, { ok: true }>>;
  close(): Promise<void>;
};

/** A failure the writer thread reported, with SQLite's code when it had one. */
export class WriterThreadError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'WriterThreadError';
    this.code = code;
  }
}

/** Starts a writer thread with its own connection to `init.file`. */
export const startWriterThread = (init: WorkerInit): WriterThread => {
  // A young generation larger than the default: a batch allocates tens of MiB of short-lived objects
  // (decoded commits, rows), and scavenging them in a small space promotes and copies far more.
  const worker = new Worker(new URL('./applyWorker.ts', import.meta.url), {
    workerData: init,
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
  const waiting: { resolve: (r: Extract<BatchReply, { ok: true }>) => void; reject: (e: Error) => void }[] = [];
  let dead: Error | undefined;
  const failAll = (error: Error) => {
    dead ??= error;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  worker.on('message', (reply: BatchReply) => {
    const next = waiting.shift();
    if (next === undefined) return;
    if (reply.ok) next.resolve(reply);
    else next.reject(new WriterThreadError(reply.error, reply.code));
  });
  worker.on('error', (error) => failAll(error));
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      failAll(new Error(`the writer thread exited (${code})`));
      resolve();
    });
  });
  return {
    apply: (batch) =>
      new Promise((resolve, reject) => {
        if (dead !== undefined) return reject(dead);
        waiting.push({ resolve, reject });
        worker.postMessage(batch, [batch.bodies.buffer as ArrayBuffer]);
      }),
    close: async () => {
      if (dead === undefined) worker.postMessage('close');
      await exited;
    },
  };
};

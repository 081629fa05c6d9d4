import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** A count the count thread is asked for: one compiled `select count(*)` and its parameters. */
export type CountRequest = { id: number; sql: string; parameters: readonly unknown[] };
/** Its answer: the number, or why there is none. */
export type CountReply = { id: number; n: number } | { id: number; error: string };

// Runs in the count thread: a read-only connection of its own to the read-model file (WAL lets it
// read while the runner writes), answering counts one at a time.
if (parentPort !== null) {
  const port = parentPort;
  const sqlite = new Database(workerData as string, { readonly: true, fileMustExist: true });
  sqlite.pragma('cache_size = -16384');
  port.on('message', (m: CountRequest | 'close') => {
    if (m === 'close') {
      sqlite.close();
      port.close();
      return;
    }
    try {
      const n = sqlite
        .prepare(m.sql)
        .pluck()
        .get(...m.parameters) as number;
      port.postMessage({ id: m.id, n } satisfies CountReply);
    } catch (error) {
      port.postMessage({
        id: m.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies CountReply);
    }
  });
}

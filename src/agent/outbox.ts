import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { pooledRandom } from '../infra/random.ts';
import { removeFile, writeFileDurably } from './fsyncFile.ts';

/** One message waiting to be published to JetStream. */
export type OutboxEntry = {
  subject: string;
  /** Nats-Msg-Id: makes a retried publish idempotent inside the duplicate window. */
  msgId: string;
  body: string;
  /** How it is appended: runs use optimistic concurrency on their own subject (see the drain). */
  kind: 'run-started' | 'run-finished' | 'event';
};

/**
 * A directory of messages to publish, written durably before anything is sent and removed only after
 * the JetStream ack, so a broker outage (or an agent restart) loses nothing. Oldest first. The
 * directory is listed once, when it is opened; after that the outbox knows what it holds (a drain
 * pass costs no directory listing, which mattered with thousands of agents in one process).
 */
export const openOutbox = (dir: string) => {
  mkdirSync(join(dir, 'dead'), { recursive: true });
  const nextName = monotonicFactory(pooledRandom);
  const wakers = new Set<() => void>();
  // Every pending entry by name: read back from its file when an earlier life wrote it, kept from
  // `enqueue` otherwise (the file is the durable copy; the drain need not read it back).
  const held = new Map<string, OutboxEntry | undefined>(
    readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => [n, undefined]),
  );
  let sorted: string[] | undefined;
  const forget = (name: string) => {
    if (held.delete(name)) sorted = undefined;
  };
  return {
    dir,
    /** Writes the entry durably and wakes the drain. */
    enqueue: (entry: OutboxEntry): void => {
      const name = `${nextName()}.json`;
      writeFileDurably(join(dir, name), JSON.stringify(entry));
      held.set(name, entry);
      sorted = undefined;
      for (const wake of wakers) wake();
    },
    /** Names of pending entries, oldest first (read one at a time with `read`). */
    pending: (): string[] => {
      sorted ??= [...held.keys()].sort();
      return sorted;
    },
    /** Reads one entry; throws when the file is not a readable entry. */
    read: (name: string): OutboxEntry =>
      held.get(name) ?? (JSON.parse(readFileSync(join(dir, name), 'utf8')) as OutboxEntry),
    /** Drops an entry once JetStream has acknowledged it. */
    // Not synced to disk: an entry a crash brings back is published again, which is idempotent
    // (its message id, the run's expected sequence, and the check for a recorded RunFinished).
    remove: (name: string): void => {
      removeFile(join(dir, name));
      forget(name);
    },
    /** Moves an entry that can never be sent aside (for a human to look at), so the rest keep flowing. */
    bury: (name: string): void => {
      renameSync(join(dir, name), join(dir, 'dead', name));
      forget(name);
    },
    /** Calls `wake` whenever something is enqueued. */
    onEnqueue: (wake: () => void): (() => void) => {
      wakers.add(wake);
      return () => {
        wakers.delete(wake);
      };
    },
  };
};

/** An agent's outbox. */
export type Outbox = ReturnType<typeof openOutbox>;

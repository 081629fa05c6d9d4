import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';

/** One message waiting to be published to JetStream. */
export type OutboxEntry = {
  subject: string;
  /** Nats-Msg-Id: makes a retried publish idempotent inside the duplicate window. */
  msgId: string;
  body: string;
  /** Optimistic concurrency for appends past the window: see `publishEntry` in the drain. */
  kind: 'run-started' | 'run-finished' | 'event';
};

/**
 * A directory of messages to publish, written before anything is sent and removed only after the
 * JetStream ack, so a broker outage (or an agent restart) loses nothing. Oldest first.
 */
export const openOutbox = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  const nextName = monotonicFactory();
  const wakers = new Set<() => void>();
  return {
    dir,
    /** Writes the entry durably (temp file, fsync, rename) and wakes the drain. */
    enqueue: (entry: OutboxEntry): void => {
      const name = `${nextName()}.json`;
      const tmp = join(dir, `.${name}.tmp`);
      const fd = openSync(tmp, 'w');
      writeSync(fd, JSON.stringify(entry));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, join(dir, name));
      for (const wake of wakers) wake();
    },
    /** Pending entries, oldest first. */
    pending: (): { name: string; entry: OutboxEntry }[] =>
      readdirSync(dir)
        .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
        .sort()
        .map((name) => ({ name, entry: JSON.parse(readFileSync(join(dir, name), 'utf8')) as OutboxEntry })),
    /** Drops an entry once JetStream has acknowledged it. */
    remove: (name: string): void => rmSync(join(dir, name), { force: true }),
    /** Calls `wake` whenever something is enqueued. */
    onEnqueue: (wake: () => void): (() => void) => {
      wakers.add(wake);
      return () => wakers.delete(wake);
    },
  };
};

/** An agent's outbox. */
export type Outbox = ReturnType<typeof openOutbox>;

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { pooledRandom } from '../infra/random.ts';
import { type DurableMap, openDurableMap } from './durableMap.ts';
import { removeFile } from './fsyncFile.ts';

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
 * Messages to publish, written durably (`outbox/outbox.log`, a durable map by a monotonic name)
 * before anything is sent and removed only after the JetStream ack, so a broker outage (or an agent
 * restart) loses nothing. Oldest first. An entry that can never be sent (a damaged line, or one the
 * drain cannot read) is moved to `outbox/dead/` as a file of its own, for a human to look at, so the
 * rest keep flowing.
 */
export const openOutbox = (dir: string) => {
  const deadDir = join(dir, 'dead');
  mkdirSync(deadDir, { recursive: true });
  const nextName = monotonicFactory(pooledRandom);
  const wakers = new Set<() => void>();
  const bury = (name: string, text: string) => writeFileSync(join(deadDir, name), text);
  const entries = openDurableMap<OutboxEntry>(join(dir, 'outbox.log'), {
    unreadable: (text) => bury(`${nextName()}.json`, text),
  });
  adoptEntryFiles(dir, entries, bury);
  let sorted: string[] | undefined;
  return {
    dir,
    /** Writes the entry durably and wakes the drain. */
    enqueue: (entry: OutboxEntry): void => {
      entries.set(`${nextName()}.json`, entry);
      sorted = undefined;
      for (const wake of wakers) wake();
    },
    /** Names of pending entries, oldest first (read one at a time with `read`). */
    pending: (): string[] => {
      sorted ??= [...entries.keys()].sort();
      return sorted;
    },
    /** Reads one entry; throws when it is not a readable entry. */
    read: (name: string): OutboxEntry => {
      const entry = entries.get(name);
      if (!isEntry(entry)) throw new Error(`outbox entry ${name} is not a message to publish`);
      return entry;
    },
    /** Drops an entry once JetStream has acknowledged it. */
    // Not synced to disk: an entry a crash brings back is published again, which is idempotent
    // (its message id, the run's expected sequence, and the check for a recorded RunFinished).
    remove: (name: string): void => {
      entries.delete(name, { sync: false });
      sorted = undefined;
    },
    /** Moves an entry that can never be sent aside (for a human to look at), so the rest keep flowing. */
    bury: (name: string): void => {
      bury(name, JSON.stringify(entries.get(name) ?? null));
      entries.delete(name, { sync: true });
      sorted = undefined;
    },
    /** Entries waiting for a JetStream ack. */
    depth: (): number => entries.size,
    /** Entries moved to `dead/`. */
    deadLetters: (): number => readdirSync(deadDir).filter((n) => n.endsWith('.json')).length,
    /** Calls `wake` whenever something is enqueued. */
    onEnqueue: (wake: () => void): (() => void) => {
      wakers.add(wake);
      return () => {
        wakers.delete(wake);
      };
    },
    close: (): void => entries.close(),
  };
};

/** An agent's outbox. */
export type Outbox = ReturnType<typeof openOutbox>;

const isEntry = (value: unknown): value is OutboxEntry => {
  const e = value as Partial<OutboxEntry> | undefined;
  return typeof e?.subject === 'string' && typeof e.msgId === 'string' && typeof e.body === 'string';
};

// Agents before the durable map kept a `<ulid>.json` file per entry, named in the same order: taken
// into the map (durably) before the file goes; one that cannot be read is buried.
const adoptEntryFiles = (dir: string, entries: DurableMap<OutboxEntry>, bury: (name: string, text: string) => void) => {
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    try {
      entries.set(name, JSON.parse(text) as OutboxEntry);
    } catch {
      bury(name, text);
    }
    removeFile(join(dir, name));
  }
};

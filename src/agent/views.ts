import type { KV } from '@nats-io/kv';
import { HALT_KEY, type HaltFlag } from '../infra/nats/fleet.ts';

/** The views a gate needs for one command. */
export type CommandViews = {
  halt: { reason: string; by: string } | undefined;
  revoked: boolean;
  pin: string | undefined;
  killed: boolean;
};

type Buckets = { jobStatus: KV; pins: KV; kills: KV; fleet: KV };
const READ_TIMEOUT_MS = 2_000;

/** Reads the halt flag: halted with a reason, or undefined (absent, resumed, or unreadable as JSON). */
export const parseHalt = (
  value: string | undefined,
): { reason: string; by: string; killRunning: boolean } | undefined => {
  if (value === undefined) return undefined;
  try {
    const flag = JSON.parse(value) as HaltFlag;
    return flag.halted
      ? { reason: flag.reason ?? 'no reason given', by: flag.by, killRunning: flag.kill_running === true }
      : undefined;
  } catch {
    return { reason: 'the halt flag is unreadable (treated as halted)', by: 'unknown', killRunning: false };
  }
};

/**
 * Reads the agent-facing KV views for a command, live. A failed read falls back to the last value
 * seen (how stale the agent may be is judged from its connection, as kanade does: see `connection.ts`).
 */
export const createViewsReader = (views: () => Buckets | undefined) => {
  const cache = new Map<string, string | undefined>();
  const read = async (bucket: keyof Buckets, key: string): Promise<string | undefined> => {
    const id = `${bucket}/${key}`;
    try {
      const kv = views()?.[bucket];
      if (kv === undefined) throw new Error('views not open yet');
      const entry = await withTimeout(kv.get(key), READ_TIMEOUT_MS);
      const value = entry === null || entry.operation !== 'PUT' ? undefined : entry.string();
      cache.set(id, value);
      return value;
    } catch {
      return cache.get(id);
    }
  };
  return {
    /** Everything the gates need for one command. */
    forCommand: async (jobId: string, execId: string): Promise<CommandViews> => {
      const [halt, status, pin, kill] = await Promise.all([
        read('fleet', HALT_KEY),
        read('jobStatus', jobId),
        read('pins', jobId),
        read('kills', execId),
      ]);
      return { halt: parseHalt(halt), revoked: status === 'REVOKED', pin, killed: kill !== undefined };
    },
    /** Only the kill marker (polled while a command runs). */
    killed: async (execId: string): Promise<boolean> => (await read('kills', execId)) !== undefined,
  };
};

/** The views reader of an agent. */
export type ViewsReader = ReturnType<typeof createViewsReader>;

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

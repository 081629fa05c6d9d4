import type { KV } from '@nats-io/kv';
import { HALT_KEY, type HaltFlag } from '../infra/nats/fleet.ts';

/** The views a gate needs for one command, and how old they are. */
export type CommandViews = {
  halt: { reason: string; by: string } | undefined;
  revoked: boolean;
  pin: string | undefined;
  killed: boolean;
  ageSecs: number;
};

type Buckets = { jobStatus: KV; pins: KV; kills: KV; fleet: KV };
type Cached = { value: string | undefined; at: number };
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
 * Reads the agent-facing KV views for a command. A failed read falls back to the last value seen,
 * and the answer says how old it is (strict staleness policies refuse old views). A key never read
 * successfully counts as infinitely old.
 */
export const createViewsReader = (views: () => Buckets | undefined, now: () => number) => {
  const cache = new Map<string, Cached>();
  const read = async (bucket: keyof Buckets, key: string): Promise<Cached> => {
    const id = `${bucket}/${key}`;
    try {
      const kv = views()?.[bucket];
      if (kv === undefined) throw new Error('views not open yet');
      const entry = await withTimeout(kv.get(key), READ_TIMEOUT_MS);
      const value = entry === null || entry.operation !== 'PUT' ? undefined : entry.string();
      const fresh = { value, at: now() };
      cache.set(id, fresh);
      return fresh;
    } catch {
      return cache.get(id) ?? { value: undefined, at: Number.NEGATIVE_INFINITY };
    }
  };
  return async (jobId: string, execId: string): Promise<CommandViews> => {
    const [halt, status, pin, kill] = await Promise.all([
      read('fleet', HALT_KEY),
      read('jobStatus', jobId),
      read('pins', jobId),
      read('kills', execId),
    ]);
    const oldest = Math.min(status.at, pin.at, kill.at);
    return {
      halt: parseHalt(halt.value),
      revoked: status.value === 'REVOKED',
      pin: pin.value,
      killed: kill.value !== undefined,
      ageSecs: oldest === Number.NEGATIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.floor((now() - oldest) / 1000),
    };
  };
};

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

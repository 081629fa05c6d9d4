import type { KV } from '@nats-io/kv';

/** The views a gate needs for one command, and how old they are. */
export type CommandViews = { revoked: boolean; pin: string | undefined; killed: boolean; ageSecs: number };

type Cached = { value: string | undefined; at: number };
const READ_TIMEOUT_MS = 2_000;

/**
 * Reads the agent-facing KV views for a command. A failed read falls back to the last value seen,
 * and the answer says how old it is (strict staleness policies refuse old views). A key never read
 * successfully counts as infinitely old.
 */
export const createViewsReader = (
  views: () => { jobStatus: KV; pins: KV; kills: KV } | undefined,
  now: () => number,
) => {
  const cache = new Map<string, Cached>();
  const read = async (bucket: 'jobStatus' | 'pins' | 'kills', key: string): Promise<Cached> => {
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
    const [status, pin, kill] = await Promise.all([
      read('jobStatus', jobId),
      read('pins', jobId),
      read('kills', execId),
    ]);
    const oldest = Math.min(status.at, pin.at, kill.at);
    return {
      revoked: status.value === 'REVOKED',
      pin: pin.value,
      killed: kill.value !== undefined,
      ageSecs: oldest === Number.NEGATIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.floor((now() - oldest) / 1000),
    };
  };
};

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

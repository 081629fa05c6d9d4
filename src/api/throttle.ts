/**
 * Sign-in throttling: after a few failures in a row, an account (or an address) must wait before the
 * next try, twice as long after each further failure, up to a cap; a success clears it. Kept in memory
 * by each server (a restart forgets it; several servers each count their own).
 */
export type Throttle = {
  /** Seconds to wait before `key` may try again (0: now). */
  waitFor(key: string, now: number): number;
  failed(key: string, now: number): void;
  succeeded(key: string): void;
};

type Failures = { count: number; last: number };

/** A throttle that lets `free` failures through, then waits 1 s, 2 s, 4 s … up to `capSeconds`. */
export const createThrottle = ({
  free,
  capSeconds,
  maxKeys = 100_000,
}: {
  free: number;
  capSeconds: number;
  maxKeys?: number;
}): Throttle => {
  const failures = new Map<string, Failures>();
  const delayOf = (f: Failures) => (f.count < free ? 0 : Math.min(capSeconds, 2 ** (f.count - free)));
  return {
    waitFor: (key, now) => {
      const f = failures.get(key);
      if (f === undefined) return 0;
      const readyAt = f.last + delayOf(f) * 1000;
      // A quiet spell twice the cap forgives the past failures.
      if (now - f.last > 2 * capSeconds * 1000) {
        failures.delete(key);
        return 0;
      }
      return Math.max(0, Math.ceil((readyAt - now) / 1000));
    },
    failed: (key, now) => {
      const f = failures.get(key) ?? { count: 0, last: now };
      failures.delete(key); // re-inserted last: the oldest entries go first when the map is full
      failures.set(key, { count: f.count + 1, last: now });
      if (failures.size > maxKeys) failures.delete(failures.keys().next().value as string);
    },
    succeeded: (key) => {
      failures.delete(key);
    },
  };
};

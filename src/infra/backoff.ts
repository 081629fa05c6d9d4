import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './log.ts';

/** Delays for retrying a broker-dependent step: doubling from `minMs` to `maxMs`, with ±25 % jitter. */
export type BackoffOptions = { minMs?: number; maxMs?: number; signal?: AbortSignal };

/** The delay before attempt `attempt` (0-based). */
export const backoffDelay = (attempt: number, { minMs = 250, maxMs = 30_000 }: BackoffOptions = {}): number => {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.75 + Math.random() * 0.5));
};

/**
 * Runs `step` until it succeeds, waiting with backoff between failures; only an abort stops it.
 * The first failure of a streak is logged as a warning, later ones at debug, so a cold broker does not flood the log.
 */
export const retryForever = async <T>(
  what: string,
  step: () => Promise<T>,
  log: Logger,
  options: BackoffOptions = {},
): Promise<T> => {
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await step();
    } catch (error) {
      options.signal?.throwIfAborted();
      const delay = backoffDelay(attempt, options);
      (attempt === 0 ? log.warn : log.debug)(`${what} failed; retrying`, { error, in_ms: delay, attempt });
      await sleep(delay, undefined, options.signal === undefined ? {} : { signal: options.signal });
    }
  }
};

/**
 * Runs `step`, and again with backoff while it fails because the broker is slow or away for a moment
 * (`isTransient`), up to `attempts` times in all; any other error, the last transient one, or an abort
 * ends it at once.
 */
export const retryTransient = async <T>(
  step: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  options: BackoffOptions & { attempts: number },
): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= options.attempts || !isTransient(error) || options.signal?.aborted === true) throw error;
      await sleep(
        backoffDelay(attempt - 1, options),
        undefined,
        options.signal === undefined ? {} : { signal: options.signal },
      );
    }
  }
};

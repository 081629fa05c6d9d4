import { describe, expect, it } from 'vitest';
import { retryTransient } from './backoff.ts';

class TimeoutError extends Error {
  override name = 'TimeoutError';
}
const transient = (error: unknown) => error instanceof TimeoutError;
const fast = { minMs: 1, maxMs: 2 };

describe('retryTransient', () => {
  it('tries again while the failure is transient, and returns the first success', async () => {
    let calls = 0;
    const value = await retryTransient(
      async () => {
        calls++;
        if (calls < 3) throw new TimeoutError('timeout');
        return 'ok';
      },
      transient,
      { ...fast, attempts: 4 },
    );
    expect([value, calls]).toEqual(['ok', 3]);
  });

  it('gives up after its attempts with the last error, and at once on any other error', async () => {
    let calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw new TimeoutError(`timeout ${calls}`);
        },
        transient,
        { ...fast, attempts: 3 },
      ),
    ).rejects.toThrow('timeout 3');
    let other = 0;
    await expect(
      retryTransient(
        async () => {
          other++;
          throw new Error('bad command');
        },
        transient,
        { ...fast, attempts: 3 },
      ),
    ).rejects.toThrow('bad command');
    expect([calls, other]).toEqual([3, 1]);
  });

  it('stops waiting when aborted', async () => {
    const abort = new AbortController();
    const running = retryTransient(
      async () => {
        throw new TimeoutError('timeout');
      },
      transient,
      { minMs: 60_000, maxMs: 60_000, attempts: 5, signal: abort.signal },
    );
    abort.abort();
    await expect(running).rejects.toThrow();
  });
});

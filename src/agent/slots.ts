/** A counting semaphore: at most `size` commands run at once on one agent. */
export const createSlots = (size: number) => {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    /** Waits for a free slot; rejects when `signal` aborts first (the waiter then holds no slot). */
    acquire: (signal?: AbortSignal): Promise<void> => {
      signal?.throwIfAborted();
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => {
        const waiter = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting.push(waiter);
      });
    },
    /** True when `acquire` would not wait now. */
    free: (): boolean => free > 0,
    release: (): void => {
      const next = waiting.shift();
      if (next === undefined) free++;
      else next();
    },
  };
};

/** Slots of one agent. */
export type Slots = ReturnType<typeof createSlots>;

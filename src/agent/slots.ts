/** A counting semaphore: at most `size` commands run at once on one agent (resizable while in use). */
export const createSlots = (size: number) => {
  let free = size;
  let capacity = size;
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
      if (free < 0) {
        free++; // a slot given up to a smaller size
        return;
      }
      const next = waiting.shift();
      if (next === undefined) free++;
      else next();
    },
    /**
     * Changes the number of slots: a larger size lets waiters in at once; a smaller one lets what
     * runs finish and admits nothing new until fewer than `next` run.
     */
    resize: (next: number): void => {
      free += next - capacity;
      capacity = next;
      while (free > 0 && waiting.length > 0) {
        free--;
        waiting.shift()?.();
      }
    },
  };
};

/** Slots of one agent. */
export type Slots = ReturnType<typeof createSlots>;

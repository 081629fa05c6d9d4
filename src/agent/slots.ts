/** A counting semaphore: at most `size` commands run at once on one agent. */
export const createSlots = (size: number) => {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    acquire: (): Promise<void> => {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    release: (): void => {
      const next = waiting.shift();
      if (next === undefined) free++;
      else next();
    },
  };
};

/** Slots of one agent. */
export type Slots = ReturnType<typeof createSlots>;

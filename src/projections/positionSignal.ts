/** Tells waiters when a monotonically growing position (a stream sequence) reaches what they wait for. */
export type PositionSignal = {
  notify(position: number): void;
  /** Resolves true once `notify` reports `target` (or `current()` already has it), false after `timeoutMs`. */
  wait(current: () => number, target: number, timeoutMs: number): Promise<boolean>;
  subscribe(listener: (position: number) => void): () => void;
};

/** Creates a position signal. */
export const createPositionSignal = (): PositionSignal => {
  const listeners = new Set<(position: number) => void>();
  const subscribe = (listener: (position: number) => void) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };
  return {
    notify: (position) => {
      for (const listener of listeners) listener(position);
    },
    subscribe,
    wait: (current, target, timeoutMs) => {
      if (current() >= target) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          unsubscribe();
          resolve(ok);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        const unsubscribe = subscribe((at) => {
          if (at >= target) done(true);
        });
      });
    },
  };
};

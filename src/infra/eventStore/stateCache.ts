/**
 * The last folded state of recently decided aggregates, so a command does not replay an aggregate's
 * whole history. An entry is only ever a hint: the event store checks it against the subject's last
 * commit (sequence and message id) before using it, reads only the commits after it, and optimistic
 * concurrency still guards the append, so a stale entry costs a retry, never a wrong decision.
 */

/** A folded state and the last commit folded into it. */
export type CachedState = {
  /** Stream sequence of the last commit folded in. */
  seq: number;
  /** That commit's Nats-Msg-Id: a recreated stream can reuse a sequence, never a message id. */
  msgId: string;
  state: unknown;
};

// Any function works as an evolve: the cache only needs its identity.
type Evolve = (...args: never[]) => unknown;

/** A bounded LRU of folded states, keyed by stream name and the evolve function that folded them. */
export type StateCache = {
  get(streamName: string, evolve: Evolve): CachedState | undefined;
  /** Keeps `entry` unless the cache already holds a later commit of the same stream and evolve. */
  set(streamName: string, evolve: Evolve, entry: CachedState): void;
  /** Every entry of a stream (one per evolve), to advance them after an append. */
  entriesOf(streamName: string): [Evolve, CachedState][];
  /** Forgets an entry that no longer matches the stream (it was recreated). */
  delete(streamName: string, evolve: Evolve): void;
  readonly size: number;
};

/**
 * Creates a cache holding at most `maxStreams` aggregates (least recently used go first). Each
 * entry holds a whole aggregate state, so the bound is what keeps memory in check.
 */
export const stateCache = (maxStreams = 2_000): StateCache => {
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recent.
  const streams = new Map<string, Map<Evolve, CachedState>>();
  const touch = (streamName: string): Map<Evolve, CachedState> | undefined => {
    const byEvolve = streams.get(streamName);
    if (byEvolve === undefined) return undefined;
    streams.delete(streamName);
    streams.set(streamName, byEvolve);
    return byEvolve;
  };
  return {
    get: (streamName, evolve) => touch(streamName)?.get(evolve),
    set: (streamName, evolve, entry) => {
      let byEvolve = touch(streamName);
      if (byEvolve === undefined) {
        byEvolve = new Map();
        streams.set(streamName, byEvolve);
        if (streams.size > maxStreams) streams.delete(streams.keys().next().value as string);
      }
      const held = byEvolve.get(evolve);
      // Two readers may finish out of order: never step an entry back to an older commit.
      if (held !== undefined && held.seq > entry.seq) return;
      byEvolve.set(evolve, entry);
    },
    entriesOf: (streamName) => [...(streams.get(streamName) ?? new Map<Evolve, CachedState>())],
    delete: (streamName, evolve) => {
      streams.get(streamName)?.delete(evolve);
    },
    get size() {
      return streams.size;
    },
  };
};

import {
  type AsyncRetryOptions,
  type Decider,
  DeciderCommandHandler,
  type Event,
  isExpectedVersionConflictError,
} from '@event-driven-io/emmett';
import type { CommitContext } from './envelope.ts';
import type { JetStreamEventStore } from './jetStreamEventStore.ts';

/** What a handled command did: the events it appended (maybe none) and the aggregate's version after it. */
export type Handled<State, E> = {
  events: E[];
  state: State;
  /** Stream sequence of the aggregate's last commit: the new one, or the current one when nothing was appended. */
  seq: number;
  /** True when JetStream recognised the commit id as a retry of a commit it already stored. */
  duplicate: boolean;
};

// A conflict means another writer committed first: re-read, re-decide, try again, quickly and with jitter.
const onVersionConflict: AsyncRetryOptions = {
  retries: 25,
  minTimeout: 5,
  maxTimeout: 250,
  factor: 1.6,
  randomize: true,
  shouldRetryError: isExpectedVersionConflictError,
};

/**
 * Returns a handler that runs a command through Emmett's DeciderCommandHandler on our event store:
 * aggregate the stream, decide, append with optimistic concurrency, retry on conflict.
 */
export const commandHandlerFor = <State, C extends { type: string; data: unknown }, E extends Event>(
  decider: Decider<State, C & { type: string; data: Record<string, unknown> }, E>,
) => {
  const handle = DeciderCommandHandler(decider);
  return async (
    store: JetStreamEventStore,
    streamName: string,
    command: C,
    commit: CommitContext,
  ): Promise<Handled<State, E>> => {
    const result = await handle(store, streamName, command as C & { data: Record<string, unknown> }, {
      commit,
      retry: { onVersionConflict },
    });
    return {
      events: result.newEvents,
      state: result.newState,
      seq: Number(result.nextExpectedStreamVersion),
      duplicate: 'duplicate' in result && result.duplicate === true,
    };
  };
};

import type { JetStreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM } from '../infra/nats/streams.ts';
import type { ReadModelsService } from '../projections/index.ts';

// A use case that decides from read models (target resolution, prune) waits this long for them.
const CATCH_UP_WAIT_MS = 10_000;

/** The read models have not reached the sequence a reader asked for in time. */
export class ReadModelsBehind extends Error {
  readonly wanted: number;
  readonly at: number;
  constructor(wanted: number, at: number) {
    super(`read models are at seq ${at}; seq ${wanted} was asked for and did not arrive in time`);
    this.name = 'ReadModelsBehind';
    this.wanted = wanted;
    this.at = at;
  }
}

/**
 * Waits until the read models have applied everything the event stream holds right now, for use
 * cases that decide from them; ReadModelsBehind when they do not get there in time.
 */
export const readModelsCaughtUp = async (deps: { jsm: JetStreamManager; readModels: ReadModelsService }) => {
  const head = (await deps.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
  if (!(await deps.readModels.waitFor(head, CATCH_UP_WAIT_MS)))
    throw new ReadModelsBehind(head, deps.readModels.position());
};

import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamEventStore } from '../infra/eventStore/index.ts';
import type { ReadModelsService } from '../projections/index.ts';

/** What the use cases shared by the API, the scheduler and the dispatcher work with. */
export type AppDeps = {
  nc: NatsConnection;
  jsm: JetStreamManager;
  store: JetStreamEventStore;
  readModels: ReadModelsService;
  /** The clock at the edge: command times come from here, never from inside a decider or projection. */
  now: () => Date;
  /** Ids for new things (ULIDs in production). */
  newId: () => string;
};

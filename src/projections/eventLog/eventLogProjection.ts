import { type Projection, put } from '../projection.ts';
import { summarize } from './summary.ts';

/** The audit view: every event of every stream, with who caused it, when, and a one-line summary. */
export const eventLogProjection: Projection = {
  name: 'event_log',
  version: 2,
  apply: (event) => [
    put('event_log', {
      seq: event.seq,
      idx: event.index,
      at: event.at,
      actor: event.actor,
      via: event.via ?? null,
      type: event.type,
      stream: event.stream,
      correlation_id: event.correlationId ?? null,
      summary: summarize(event),
    }),
  ],
};

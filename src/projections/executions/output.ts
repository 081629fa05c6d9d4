import type { ObjectStore } from '@nats-io/obj';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';

/**
 * Reads output that agents moved to the object store (over 256 KiB) back into RunFinished events
 * before the projection sees them, so the results table always holds the full text. The store keeps
 * objects without an age limit: they are part of the record, like the events that name them.
 */
export const createOutputEnricher =
  (store: () => Promise<ObjectStore>) =>
  async (events: RecordedEvent[]): Promise<void> => {
    for (const event of events) {
      if (event.type !== 'RunFinished') continue;
      for (const stream of ['stdout', 'stderr'] as const) {
        const name = event.data[`${stream}_object`];
        if (typeof name !== 'string') continue;
        const bytes = await (await store()).getBlob(name);
        event.data[stream] =
          bytes === null ? `[kanade: output object ${name} is missing]` : new TextDecoder().decode(bytes);
      }
    }
  };

import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { OutputRef } from '../../domain/runs/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { readOutput } from '../../infra/nats/output.ts';

/**
 * Reads output that agents moved out of their RunFinished events (over 256 KiB) back in before the
 * projection sees them, so the results table always holds the full text: from the output stream (its
 * chunks checked against the digest the event recorded), or for runs recorded before that stream
 * existed, from the object store. Both keep everything without an age limit: they are part of the record.
 */
export const createOutputEnricher =
  (sources: { js: JetStreamClient; objects: () => Promise<ObjectStore> }) =>
  async (events: RecordedEvent[]): Promise<void> => {
    for (const event of events) {
      if (event.type !== 'RunFinished') continue;
      const run = { pc_id: String(event.data.pc_id), result_id: String(event.data.result_id) };
      for (const stream of ['stdout', 'stderr'] as const) {
        const ref = event.data[`${stream}_output`] as OutputRef | undefined;
        if (ref !== undefined && typeof ref === 'object') {
          event.data[stream] = await readOutput(sources.js, run, stream, ref);
          continue;
        }
        const name = event.data[`${stream}_object`];
        if (typeof name !== 'string') continue;
        const bytes = await (await sources.objects()).getBlob(name);
        event.data[stream] =
          bytes === null ? `[kanade: output object ${name} is missing]` : new TextDecoder().decode(bytes);
      }
    }
  };

import { existsSync, rmSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from '../infra/log.ts';
import { connectNats, type NatsAuth, redactUrl } from '../infra/nats/connection.ts';
import { openOutputStore } from '../infra/nats/fleet.ts';
import { tableChecksums } from './checksum.ts';
import { closeReadModelDatabase } from './database.ts';
import { createOutputEnricher } from './executions/output.ts';
import { bulkCatchUp, openGeneration } from './generation.ts';
import { eventLogSource } from './index.ts';

/** What an offline build produced: the sequence it reached and a checksum per table. */
export type OfflineBuild = { file: string; seq: number; checksums: Record<string, string> };

/**
 * Replays the event stream into a standalone SQLite file, up to `untilSeq` (the read models "as of"
 * that point) or the head. For auditors: no server needed, and two builds can be compared by checksum.
 */
export const buildReadModelFile = async (options: {
  nats: { url: string; auth: NatsAuth };
  file: string;
  untilSeq?: number;
  log: Logger;
}): Promise<OfflineBuild> => {
  if (existsSync(options.file)) throw new Error(`${options.file} exists; choose a new file`);
  const nc = await connectNats({
    url: options.nats.url,
    auth: options.nats.auth,
    name: 'kanade-offline-build',
    log: options.log,
    failFast: true,
  });
  try {
    const js = jetstream(nc);
    const enrich = createOutputEnricher({ js, objects: () => openOutputStore(nc) });
    const source = {
      js,
      jsm: await jetstreamManager(nc),
      log: options.log,
      sources: [eventLogSource(enrich)] as const,
    };
    const gen = await openGeneration(options.file, source);
    try {
      // The runner retries forever by design; a one-shot tool gives up when the connection is gone.
      const lost = nc.closed().then(() => {
        throw new Error(`lost the connection to NATS at ${redactUrl(options.nats.url)}`);
      });
      const seq = await Promise.race([bulkCatchUp(gen, options.untilSeq), lost]);
      const checksums = tableChecksums(gen.database.sqlite);
      await closeReadModelDatabase(gen.database);
      return { file: options.file, seq, checksums };
    } catch (error) {
      await gen.runner.stop();
      await closeReadModelDatabase(gen.database).catch(() => {});
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${options.file}${suffix}`, { force: true });
      throw error;
    }
  } finally {
    await nc.drain();
  }
};

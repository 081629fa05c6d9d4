import type { JetStreamManager } from '@nats-io/jetstream';
import type Database from 'better-sqlite3';

/** A stream a generation folds, and how far it has applied it. */
export type FoldedStream = { stream: string; position: number };

// JetStream's "stream not found" (API error 10059): the stream is gone, not merely unreachable.
const isStreamNotFound = (error: unknown): boolean => {
  const e = error as { api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10059 || /stream not found/i.test(String(e?.message ?? ''));
};

const stored = (sqlite: Database.Database): Map<string, string> =>
  new Map(
    (sqlite.prepare('SELECT stream, created FROM meta_streams').all() as { stream: string; created: string }[]).map(
      (r) => [r.stream, r.created],
    ),
  );

const record = (sqlite: Database.Database, stream: string, created: string) =>
  sqlite.prepare('INSERT OR REPLACE INTO meta_streams (stream, created) VALUES (?, ?)').run(stream, created);

/** Records which instance of each stream a new generation is built from (their creation times). */
export const recordStreamIdentities = async (
  jsm: JetStreamManager,
  sqlite: Database.Database,
  streams: readonly string[],
): Promise<void> => {
  for (const stream of streams) record(sqlite, stream, (await jsm.streams.info(stream)).created);
};

/**
 * Why a generation does not belong to the streams as they are now, or undefined when it does: a
 * stream that is gone, was created again (another creation time), or ends before what the
 * generation has applied (rewound, or restored from an older backup). A broker that cannot be
 * reached is not a mismatch (the runners wait for it). A generation from before identities were
 * recorded adopts the stream when the stream reaches as far as it has applied.
 */
export const streamMismatch = async (
  jsm: JetStreamManager,
  sqlite: Database.Database,
  folded: readonly FoldedStream[],
): Promise<string | undefined> => {
  const known = stored(sqlite);
  for (const { stream, position } of folded) {
    let info: Awaited<ReturnType<JetStreamManager['streams']['info']>>;
    try {
      info = await jsm.streams.info(stream);
    } catch (error) {
      if (isStreamNotFound(error)) return `the stream ${stream} no longer exists (deleted?)`;
      return undefined;
    }
    const builtFrom = known.get(stream);
    if (builtFrom !== undefined && builtFrom !== info.created)
      return `the stream ${stream} was created at ${info.created}, but these read models were built from the one created at ${builtFrom} (deleted and created again?)`;
    if (info.state.last_seq < position)
      return `the stream ${stream} ends at seq ${info.state.last_seq}, but these read models have applied it up to seq ${position} (rewound, or restored from an older backup?)`;
    if (builtFrom === undefined) record(sqlite, stream, info.created);
  }
  return undefined;
};

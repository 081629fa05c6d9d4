import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { ulid } from 'ulid';
import { backoffDelay } from '../infra/backoff.ts';
import { countErrors, RUNNER, readCheckpoints } from './batchWriter.ts';
import { closeReadModelDatabase } from './database.ts';
import {
  bulkCatchUp,
  catchUpGeneration,
  followGeneration,
  type Generation,
  type GenerationSource,
  openGeneration,
  projectionsOf,
  resumeGeneration,
  stopGeneration,
} from './generation.ts';
import { currentGeneration, nextGeneration, promoteGeneration, removeGenerations } from './generations.ts';
import { createPositionSignal } from './positionSignal.ts';
import type { Projection } from './projection.ts';
import type { ReadModels as Tables } from './schema.ts';
import { recordStreamIdentities, streamMismatch } from './streamIdentity.ts';

/** What the read models need: where to keep files, where the events are, and which projections to run. */
export type ReadModelsOptions = GenerationSource & { dir: string };

/** Health of the read models, per projection. */
export type ReadModelsStatus = {
  /** `mismatch`: the live generation was built from another instance of a stream; nothing is served. */
  state: 'starting' | 'building' | 'live' | 'mismatch' | 'stopped';
  /** Why the read models do not belong to the streams as they are now (see `StreamMismatch`). */
  stream_problem?: string;
  file: string | undefined;
  seq: number;
  /** Events of commits no projection could write at all, skipped and kept in `projection_errors`. */
  skipped_events: number;
  projections: {
    name: string;
    version: number;
    stream: string;
    seq: number;
    state: string;
    errors: number;
    error?: string;
  }[];
  rebuild?: { seq: number; file: string };
};

/** Thrown by `db()` while no generation is ready to serve (first build after a delete, say). */
export class ReadModelsNotReady extends Error {
  constructor() {
    super('read models are being built; try again shortly');
    this.name = 'ReadModelsNotReady';
  }
}

/**
 * The read models were built from another instance of a stream (deleted and created again, rewound,
 * restored from an older backup): they are not served, and nothing is written, until the stream is
 * restored or the read models are rebuilt from it on purpose.
 */
export class StreamMismatch extends Error {
  constructor(problem: string) {
    super(
      `${problem}. These read models belong to another history: restore the stream, or rebuild the read models from the stream as it is now (kanade projections rebuild)`,
    );
    this.name = 'StreamMismatch';
  }
}

// How often the live generation is checked against the streams it folds.
const IDENTITY_CHECK_MS = 5_000;

/** The live generation, and whether its runner follows the stream (an outdated one is served frozen). */
type Live = { gen: Generation; following: boolean };

/** The server's read models: builds, follows and blue/green-rebuilds the SQLite generations. */
export const createReadModels = (options: ReadModelsOptions) => {
  const { dir, log } = options;
  const projections = projectionsOf(options);
  let live: Live | undefined;
  let building: { file: string; gen?: Generation } | undefined;
  let rebuilding: Promise<void> | undefined;
  const stopping = new AbortController();
  const signal = createPositionSignal();
  const streams = options.sources.map((source) => source.stream);
  let mismatch: string | undefined;
  const foldedBy = (gen: Generation) => gen.parts.map((p) => ({ stream: p.stream, position: p.runner.position() }));

  // Stops serving a generation that belongs to another history, and says so once.
  const refuse = async (current: Live, problem: string) => {
    if (mismatch === undefined) log.error('read models do not belong to the stream; not serving them', { problem });
    mismatch = problem;
    if (current.following) {
      current.following = false;
      await stopGeneration(current.gen);
    }
  };
  const checkIdentity = async () => {
    const current = live;
    if (current === undefined || !current.following || building !== undefined) return;
    const problem = await streamMismatch(options.jsm, current.gen.database.sqlite, foldedBy(current.gen));
    if (problem !== undefined && live === current) await refuse(current, problem);
  };
  const watchdog = setInterval(() => {
    checkIdentity().catch((error: unknown) => log.debug('stream identity check failed', { error }));
  }, IDENTITY_CHECK_MS);
  watchdog.unref();

  const follow = (gen: Generation) => {
    live = { gen, following: true };
    gen.runner.onApplied(signal.notify);
    signal.notify(gen.runner.position());
    followGeneration(gen);
  };

  // Builds a new generation beside the live one, then swaps: reads stay on the old file until the new one has caught up.
  const rebuildOnce = async (): Promise<void> => {
    const file = nextGeneration(dir, ulid().toLowerCase());
    building = { file };
    const old = live;
    let oldStopped = false;
    let gen: Generation | undefined;
    try {
      gen = await openGeneration(file, options);
      building.gen = gen;
      await recordStreamIdentities(options.jsm, gen.database.sqlite, streams);
      log.info('building read models', { file });
      await bulkCatchUp(gen);
      stopping.signal.throwIfAborted();
      if (old?.following === true) {
        await stopGeneration(old.gen);
        oldStopped = true;
      }
      await catchUpGeneration(gen);
      stopping.signal.throwIfAborted();
      promoteGeneration(dir, file);
      if (mismatch !== undefined) log.info('read models rebuilt from the stream as it is now', { file });
      mismatch = undefined; // before following: the first listeners told of the new generation may read it
      follow(gen);
      log.info('read models live', { file, seq: gen.runner.position() });
      if (old !== undefined) retire(old.gen);
    } catch (error) {
      await discard(gen, file);
      if (oldStopped && old !== undefined && !stopping.signal.aborted)
        follow(resumeGeneration(old.gen.database, options));
      throw error;
    } finally {
      building = undefined;
    }
  };

  const discard = async (gen: Generation | undefined, file: string) => {
    if (gen !== undefined) {
      await stopGeneration(gen);
      await closeReadModelDatabase(gen.database);
    }
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  };

  // Queries may still hold the old handle for a moment after the swap: close it a little later, then
  // delete every file that is neither CURRENT nor being built.
  const retire = (old: Generation) => {
    setTimeout(() => {
      void closeReadModelDatabase(old.database).finally(() =>
        removeGenerations(dir, [currentGeneration(dir), building?.file]),
      );
    }, 2_000).unref();
  };

  const requestRebuild = (): Promise<void> => {
    rebuilding ??= rebuildOnce().finally(() => {
      rebuilding = undefined;
    });
    return rebuilding;
  };

  // The first build (nothing to serve yet, or an outdated generation) retries until it succeeds.
  const buildUntilLive = async () => {
    for (let attempt = 0; !stopping.signal.aborted; attempt++) {
      try {
        return await requestRebuild();
      } catch (error) {
        if (stopping.signal.aborted) return;
        log.error('building the read models failed; retrying', { error });
        await sleep(backoffDelay(attempt, { minMs: 500, maxMs: 30_000 }), undefined, { signal: stopping.signal }).catch(
          () => {},
        );
      }
    }
  };

  const start = async (): Promise<void> => {
    const file = currentGeneration(dir);
    if (file !== undefined) {
      const gen = await openGeneration(file, options);
      const problem = await streamMismatch(options.jsm, gen.database.sqlite, foldedBy(gen));
      if (problem !== undefined) {
        live = { gen, following: false };
        await refuse(live, problem);
        return;
      }
      if (upToDate(gen, projections)) {
        follow(gen);
        removeGenerations(dir, [file]); // leftovers of a build that crashed before it was promoted
        return;
      }
      // Serve the outdated generation frozen while the new one builds: following it would stamp
      // new projection versions on rows the old code wrote, and a crash would leave that mix looking current.
      log.info('projection versions changed; rebuilding', { file });
      live = { gen, following: false };
    }
    await buildUntilLive();
  };

  return {
    /** Opens the current generation (or builds one) and follows the stream; resolves when reads are served. */
    start,
    /** Kysely over the live generation. */
    db: (): Kysely<Tables> => {
      if (mismatch !== undefined) throw new StreamMismatch(mismatch);
      if (live === undefined) throw new ReadModelsNotReady();
      return live.gen.database.db;
    },
    /** Last stream sequence the live read models have applied. */
    position: (): number => live?.gen.runner.position() ?? 0,
    /** Waits (bounded) until the live read models have applied `seq`: read-your-writes. */
    waitFor: (seq: number, timeoutMs: number): Promise<boolean> =>
      signal.wait(() => live?.gen.runner.position() ?? 0, seq, timeoutMs),
    /** Calls `listener` with the new position after every applied batch. */
    onApplied: signal.subscribe,
    /** Starts a blue/green rebuild (or joins the running one); it shows in `status()` at once. */
    rebuild: (): Promise<void> => requestRebuild(),
    status: (): ReadModelsStatus => statusOf(live, building, projections, stopping.signal.aborted, mismatch),
    /** Why nothing may be written now (the read models belong to another history), or undefined. */
    writeRefusal: (): StreamMismatch | undefined => (mismatch === undefined ? undefined : new StreamMismatch(mismatch)),
    stop: async (): Promise<void> => {
      clearInterval(watchdog);
      stopping.abort();
      if (building?.gen !== undefined) await stopGeneration(building.gen);
      if (live !== undefined) await stopGeneration(live.gen);
      await rebuilding?.catch(() => {});
      if (live !== undefined) await closeReadModelDatabase(live.gen.database);
    },
  };
};

/** The read models of a running server. */
export type ReadModelsService = ReturnType<typeof createReadModels>;

const upToDate = (gen: Generation, projections: readonly Projection[]): boolean => {
  const stored = readCheckpoints(gen.database.sqlite);
  return projections.every((p) => stored.some((c) => c.projection === p.name && c.version === p.version));
};

const statusOf = (
  live: Live | undefined,
  building: { file: string; gen?: Generation } | undefined,
  projections: readonly Projection[],
  stopped: boolean,
  mismatch: string | undefined,
): ReadModelsStatus => {
  const errors = live === undefined ? new Map<string, number>() : countErrors(live.gen.database.sqlite);
  const partOf = (name: string) => live?.gen.parts.find((part) => part.projections.some((p) => p.name === name));
  return {
    state: stopped
      ? 'stopped'
      : mismatch !== undefined
        ? 'mismatch'
        : live === undefined
          ? building === undefined
            ? 'starting'
            : 'building'
          : 'live',
    ...(mismatch === undefined ? {} : { stream_problem: mismatch }),
    file: live?.gen.database.file,
    seq: live?.gen.runner.status().seq ?? 0,
    skipped_events: errors.get(RUNNER) ?? 0,
    projections: projections.map((p) => {
      const part = partOf(p.name);
      const runner = part?.runner.status();
      return {
        name: p.name,
        version: p.version,
        stream: part?.stream ?? '',
        seq: runner?.seq ?? 0,
        state: live?.following === false ? 'frozen' : (runner?.state ?? 'stopped'),
        errors: errors.get(p.name) ?? 0,
        ...(runner?.error === undefined ? {} : { error: runner.error }),
      };
    }),
    ...(building === undefined ? {} : { rebuild: { seq: building.gen?.runner.position() ?? 0, file: building.file } }),
  };
};

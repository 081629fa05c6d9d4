import type { Kysely } from 'kysely';
import { ulid } from 'ulid';
import { readCheckpoints } from './batchWriter.ts';
import { closeReadModelDatabase } from './database.ts';
import { bulkCatchUp, type Generation, type GenerationSource, openGeneration } from './generation.ts';
import { currentGeneration, nextGeneration, promoteGeneration, removeGenerations } from './generations.ts';
import { createPositionSignal } from './positionSignal.ts';
import type { Projection } from './projection.ts';
import type { ReadModels as Tables } from './schema.ts';

/** What the read models need: where to keep files, where the events are, and which projections to run. */
export type ReadModelsOptions = GenerationSource & { dir: string };

/** Health of the read models, per projection. */
export type ReadModelsStatus = {
  state: 'starting' | 'building' | 'live' | 'stopped';
  file: string | undefined;
  seq: number;
  projections: { name: string; version: number; seq: number; state: string; error?: string }[];
  rebuild?: { seq: number; file: string };
};

/** Thrown by `db()` while no generation is ready to serve (first build after a delete, say). */
export class ReadModelsNotReady extends Error {
  constructor() {
    super('read models are being built; try again shortly');
    this.name = 'ReadModelsNotReady';
  }
}

/** The server's read models: builds, follows and blue/green-rebuilds the SQLite generations. */
export const createReadModels = (options: ReadModelsOptions) => {
  const { dir, projections, log } = options;
  let live: Generation | undefined;
  let building: Generation | undefined;
  let rebuilding: Promise<void> | undefined;
  let stopped = false;
  const signal = createPositionSignal();
  const forward = (seq: number) => signal.notify(seq);

  const open = (file: string): Promise<Generation> => openGeneration(file, options);

  const upToDate = (gen: Generation): boolean => {
    const stored = readCheckpoints(gen.database.sqlite);
    return projections.every((p) => stored.some((c) => c.projection === p.name && c.version === p.version));
  };

  // Builds a new generation beside the live one, then swaps: reads stay on the old file until the new one has caught up.
  const rebuild = async (): Promise<void> => {
    const file = nextGeneration(dir, ulid().toLowerCase());
    const gen = await open(file);
    building = gen;
    log.info('building read models', { file });
    await bulkCatchUp(gen);
    if (stopped) return;
    const old = live;
    await old?.runner.stop();
    await gen.runner.catchUp();
    promoteGeneration(dir, file);
    live = gen;
    building = undefined;
    gen.runner.onApplied(forward);
    forward(gen.runner.position());
    void gen.runner.follow();
    log.info('read models live', { file, seq: gen.runner.position() });
    if (old !== undefined) retire(old, dir, file);
    else removeGenerations(dir, file);
  };

  const startLive = async (): Promise<void> => {
    const file = currentGeneration(dir);
    if (file !== undefined) {
      const gen = await open(file);
      if (upToDate(gen)) {
        live = gen;
        gen.runner.onApplied(forward);
        void gen.runner.follow();
        removeGenerations(dir, file); // leftovers of a build that crashed before it was promoted
        return;
      }
      // Serve the outdated generation frozen while the new one builds: following it would stamp
      // new projection versions on rows the old code wrote, and a crash would leave that mix looking current.
      log.info('projection versions changed; rebuilding', { file });
      live = gen;
    }
    await requestRebuild();
  };

  const requestRebuild = (): Promise<void> => {
    rebuilding ??= rebuild().finally(() => {
      rebuilding = undefined;
    });
    return rebuilding;
  };

  return {
    /** Opens the current generation (or builds one) and follows the stream; resolves when reads are served. */
    start: startLive,
    /** Kysely over the live generation. */
    db: (): Kysely<Tables> => {
      if (live === undefined) throw new ReadModelsNotReady();
      return live.database.db;
    },
    /** Last stream sequence the live read models have applied. */
    position: (): number => live?.runner.position() ?? 0,
    /** Waits (bounded) until the live read models have applied `seq`: read-your-writes. */
    waitFor: (seq: number, timeoutMs: number): Promise<boolean> =>
      signal.wait(() => live?.runner.position() ?? 0, seq, timeoutMs),
    /** Calls `listener` with the new position after every applied batch. */
    onApplied: signal.subscribe,
    /** Starts a blue/green rebuild (or joins the running one). */
    rebuild: requestRebuild,
    status: (): ReadModelsStatus => statusOf(live, building, projections, stopped),
    stop: async (): Promise<void> => {
      stopped = true;
      await building?.runner.stop();
      await live?.runner.stop();
      if (building !== undefined) await closeReadModelDatabase(building.database);
      if (live !== undefined) await closeReadModelDatabase(live.database);
    },
  };
};

/** The read models of a running server. */
export type ReadModelsService = ReturnType<typeof createReadModels>;

// Queries may still hold the old handle for a moment after the swap: close it a little later.
const retire = (old: Generation, dir: string, keep: string): void => {
  setTimeout(() => {
    void closeReadModelDatabase(old.database).finally(() => removeGenerations(dir, keep));
  }, 2_000).unref();
};

const statusOf = (
  live: Generation | undefined,
  building: Generation | undefined,
  projections: readonly Projection[],
  stopped: boolean,
): ReadModelsStatus => {
  const runner = live?.runner.status();
  return {
    state: stopped ? 'stopped' : live === undefined ? (building === undefined ? 'starting' : 'building') : 'live',
    file: live?.database.file,
    seq: runner?.seq ?? 0,
    projections: projections.map((p) => ({
      name: p.name,
      version: p.version,
      seq: runner?.seq ?? 0,
      state: runner?.state ?? 'stopped',
      ...(runner?.error === undefined ? {} : { error: runner.error }),
    })),
    ...(building === undefined ? {} : { rebuild: { seq: building.runner.position(), file: building.database.file } }),
  };
};

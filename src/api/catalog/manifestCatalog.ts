import type { Event } from '@event-driven-io/emmett';
import { DomainError } from '../../domain/shared/index.ts';
import { type CommitContext, commandHandlerFor, type JetStreamEventStore } from '../../infra/eventStore/index.ts';

/** What applying a manifest (or a prune, or an operator command) did, or would do in a dry run. */
export type CatalogStatus = 'created' | 'updated' | 'unchanged' | 'deleted' | string;

/** One line of a catalog plan or result. */
export type CatalogEntry = { id: string; version?: string; status: CatalogStatus; seq: number; changed?: string[] };

/**
 * A kind of manifest kept as one aggregate per id (jobs, schedules): how to address its stream,
 * which command applies or deletes a manifest, and how to describe what a command did.
 */
export type ManifestKind<M, C extends { type: string; data: Record<string, unknown> }, E extends Event, S> = {
  decider: { decide(command: C, state: S): E[]; evolve(state: S, event: E): S; initialState(): S };
  streamName(id: string): string;
  idOf(command: C): string;
  apply(manifest: M): C;
  delete(id: string): C;
  describe(command: C, events: readonly E[], seq: number, state: S): CatalogEntry;
};

/**
 * Some manifests break catalog rules (e.g. an unbumped version): nothing was applied. `index` is the
 * manifest's position in the request; undefined for an item the prune would delete.
 */
export class CatalogRejected extends Error {
  readonly errors: readonly { index: number | undefined; id: string; error: DomainError }[];
  constructor(errors: CatalogRejected['errors']) {
    super(errors.map((e) => e.error.message).join('; '));
    this.name = 'CatalogRejected';
    this.errors = errors;
  }
}

/** The broker failed midway: `applied` went through, the rest did not (applying again finishes the job). */
export class CatalogPartiallyApplied extends Error {
  readonly applied: readonly CatalogEntry[];
  readonly pending: readonly string[];
  constructor(applied: readonly CatalogEntry[], pending: readonly string[], cause: unknown) {
    super(`applied ${applied.length} change(s), ${pending.length} not applied`, { cause });
    this.name = 'CatalogPartiallyApplied';
    this.applied = applied;
    this.pending = pending;
  }
}

/** A catalog of one manifest kind: apply many manifests at once (all or nothing on rule breaks), or run one command. */
export const manifestCatalog = <M, C extends { type: string; data: Record<string, unknown> }, E extends Event, S>(
  kind: ManifestKind<M, C, E, S>,
) => {
  const handle = commandHandlerFor(kind.decider);
  type Planned = { command: C; entry: CatalogEntry; isApply: boolean };

  /** Runs one command (revoke, delete, enable, …) and says what it did. */
  const run = async (store: JetStreamEventStore, command: C, commit: CommitContext): Promise<CatalogEntry> => {
    const handled = await handle(store, kind.streamName(kind.idOf(command)), command, commit);
    return kind.describe(command, handled.events, handled.seq, handled.state);
  };

  const planOne = async (store: JetStreamEventStore, command: C): Promise<CatalogEntry | DomainError> => {
    const { state, currentStreamVersion } = await store.aggregateStream(
      kind.streamName(kind.idOf(command)),
      kind.decider,
    );
    try {
      return kind.describe(command, kind.decider.decide(command, state), Number(currentStreamVersion), state);
    } catch (error) {
      if (error instanceof DomainError) return error;
      throw error;
    }
  };

  const planAll = async (store: JetStreamEventStore, commands: { command: C; isApply: boolean }[]) => {
    const results = await mapLimited(commands, 8, ({ command }) => planOne(store, command));
    const errors = results.flatMap((r, index) =>
      r instanceof DomainError
        ? [
            {
              index: commands[index]?.isApply === true ? index : undefined,
              id: kind.idOf((commands[index] as { command: C }).command),
              error: r,
            },
          ]
        : [],
    );
    if (errors.length > 0) throw new CatalogRejected(errors);
    return commands.map((c, i): Planned => ({ ...c, entry: results[i] as CatalogEntry }));
  };

  /**
   * Applies manifests (and deletes `prune` ids). Every command is first decided against the current
   * state, so one invalid change rejects the whole request before anything is appended.
   */
  const applyAll = async (
    store: JetStreamEventStore,
    request: { manifests: readonly M[]; prune: readonly string[]; dryRun: boolean },
    newCommit: () => CommitContext,
  ): Promise<CatalogEntry[]> => {
    const plan = await planAll(store, [
      ...request.manifests.map((m) => ({ command: kind.apply(m), isApply: true })),
      ...request.prune.map((id) => ({ command: kind.delete(id), isApply: false })),
    ]);
    if (request.dryRun) return plan.map((p) => p.entry);
    const done: CatalogEntry[] = [];
    for (const [i, { command, entry, isApply }] of plan.entries()) {
      if (entry.status === 'unchanged') {
        done.push(entry);
        continue;
      }
      try {
        done.push(await run(store, command, newCommit()));
      } catch (error) {
        // Another writer changed the catalog since the plan: what went through stays, and says so.
        const applied = done.filter((e) => e.status !== 'unchanged');
        if (error instanceof DomainError && applied.length === 0)
          throw new CatalogRejected([{ index: isApply ? i : undefined, id: entry.id, error }]);
        if (applied.length === 0) throw error; // nothing went through: the failure itself is the answer
        throw new CatalogPartiallyApplied(
          applied,
          plan.slice(i).map((p) => p.entry.id),
          error,
        );
      }
    }
    return done;
  };

  return { applyAll, run };
};

const mapLimited = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

import {
  decide,
  evolve,
  initialState,
  type JobCommand,
  type JobEvent,
  type JobManifest,
  type JobState,
  jobDecider,
  jobStreamName,
} from '../../domain/jobs/index.ts';
import { DomainError } from '../../domain/shared/index.ts';
import { type CommitContext, commandHandlerFor, type JetStreamEventStore } from '../../infra/eventStore/index.ts';

/** What applying a manifest (or a prune) did, or would do in a dry run. */
export type CatalogStatus = 'created' | 'updated' | 'unchanged' | 'deleted' | 'revoked' | 'unrevoked';

/** One line of a catalog plan or result. */
export type CatalogEntry = { id: string; version: string; status: CatalogStatus; seq: number; changed?: string[] };

/**
 * Some manifests break catalog rules (e.g. an unbumped version): nothing was applied. `index` is the
 * manifest's position in the request; undefined for a job the prune would delete.
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

type Planned = { command: JobCommand; entry: CatalogEntry };

const handleJob = commandHandlerFor(jobDecider);

/**
 * Applies manifests (and deletes `prune` ids) to the catalog. Every command is first decided against
 * the current state, so one invalid change rejects the whole request before anything is appended.
 */
export const applyToCatalog = async (
  store: JetStreamEventStore,
  request: { manifests: readonly JobManifest[]; prune: readonly string[]; dryRun: boolean },
  newCommit: () => CommitContext,
): Promise<CatalogEntry[]> => {
  const commands: JobCommand[] = [
    ...request.manifests.map((manifest): JobCommand => ({ type: 'ApplyJob', data: { manifest } })),
    ...request.prune.map((job_id): JobCommand => ({ type: 'DeleteJob', data: { job_id } })),
  ];
  const plan = await planAll(store, commands);
  if (request.dryRun) return plan.map((p) => p.entry);
  const done: CatalogEntry[] = [];
  for (const [i, { command, entry }] of plan.entries()) {
    if (entry.status === 'unchanged') {
      done.push(entry);
      continue;
    }
    try {
      done.push(await runCommand(store, command, newCommit()));
    } catch (error) {
      // Another writer changed the catalog since the plan: what went through stays, and says so.
      const applied = done.filter((e) => e.status !== 'unchanged');
      if (error instanceof DomainError && applied.length === 0) {
        throw new CatalogRejected([{ index: command.type === 'ApplyJob' ? i : undefined, id: entry.id, error }]);
      }
      throw new CatalogPartiallyApplied(
        applied,
        plan.slice(i).map((p) => p.entry.id),
        error,
      );
    }
  }
  return done;
};

/** Runs one job command (revoke, delete, …) and says what it did. */
export const runCommand = async (
  store: JetStreamEventStore,
  command: JobCommand,
  commit: CommitContext,
): Promise<CatalogEntry> => {
  const handled = await handleJob(store, jobStreamName(jobIdOf(command)), command, commit);
  return entryOf(command, handled.events, handled.seq, handled.state);
};

const planAll = async (store: JetStreamEventStore, commands: JobCommand[]): Promise<Planned[]> => {
  const results = await mapLimited(commands, 8, (command) => planOne(store, command));
  const errors = results.flatMap((r, index) =>
    r instanceof DomainError
      ? [
          {
            index: commands[index]?.type === 'ApplyJob' ? index : undefined,
            id: jobIdOf(commands[index] as JobCommand),
            error: r,
          },
        ]
      : [],
  );
  if (errors.length > 0) throw new CatalogRejected(errors);
  return results as Planned[];
};

const planOne = async (store: JetStreamEventStore, command: JobCommand): Promise<Planned | DomainError> => {
  const { state, currentStreamVersion } = await store.aggregateStream(jobStreamName(jobIdOf(command)), {
    evolve,
    initialState,
  });
  try {
    return { command, entry: entryOf(command, decide(command, state), Number(currentStreamVersion), state) };
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
};

const jobIdOf = (command: JobCommand): string =>
  command.type === 'ApplyJob' ? command.data.manifest.id : command.data.job_id;

const STATUS_OF: Record<JobEvent['type'], CatalogStatus> = {
  JobRegistered: 'created',
  JobUpdated: 'updated',
  JobDeleted: 'deleted',
  JobRevoked: 'revoked',
  JobUnrevoked: 'unrevoked',
};

const entryOf = (command: JobCommand, events: readonly JobEvent[], seq: number, state: JobState): CatalogEntry => {
  const id = jobIdOf(command);
  const first = events[0];
  if (first === undefined) return { id, version: versionOf(command, state), status: 'unchanged', seq };
  const entry: CatalogEntry = { id, version: first.data.version, status: STATUS_OF[first.type], seq };
  return first.type === 'JobUpdated' ? { ...entry, changed: first.data.changed } : entry;
};

const versionOf = (command: JobCommand, state: JobState): string => {
  if (command.type === 'ApplyJob') return command.data.manifest.version;
  return state.status === 'active' ? state.manifest.version : state.status === 'deleted' ? state.version : '';
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

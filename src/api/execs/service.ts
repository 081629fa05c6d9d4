import {
  buildCommand,
  type ExecCommand,
  execDecider,
  execStreamName,
  type KnownAgent,
  resolveTarget,
  type Target,
} from '../../domain/execs/index.ts';
import { FLEET_STREAM, FleetIsHalted, fleetDecider } from '../../domain/fleet/index.ts';
import type { JobManifest } from '../../domain/jobs/index.ts';
import { evolve, initialState, JobNotFound, jobStreamName } from '../../domain/jobs/index.ts';
import { parseDuration } from '../../domain/shared/index.ts';
import { type CommitContext, commandHandlerFor } from '../../infra/eventStore/index.ts';
import { EVENTS_STREAM } from '../../infra/nats/streams.ts';
import { ONLINE_WINDOW_MS } from '../../projections/index.ts';
import type { ApiDeps } from '../env.ts';
import { ReadModelsBehind, RequestRejected } from '../errors.ts';

const handleExec = commandHandlerFor(execDecider);

/** What a new exec answers: who it reaches. */
export type ExecAccepted = { exec_id: string; target_count: number; pcs: string[]; seq: number };

/** The agents target resolution sees: the read model once it has caught up with the stream. */
export const knownAgents = async (deps: ApiDeps): Promise<KnownAgent[]> => {
  const head = (await deps.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
  if (!(await deps.readModels.waitFor(head, deps.minSeqWaitMs ?? 5_000)))
    throw new ReadModelsBehind(head, deps.readModels.position());
  const cutoff = new Date(deps.now().getTime() - ONLINE_WINDOW_MS).toISOString();
  const rows = await deps.readModels
    .db()
    .selectFrom('agents as a')
    .leftJoin('agent_heartbeats as h', 'h.pc_id', 'a.pc_id')
    .select(['a.pc_id', 'a.groups', 'h.at'])
    .execute();
  return rows.map((r) => ({
    pc_id: r.pc_id,
    groups: JSON.parse(r.groups) as string[],
    online: r.at !== null && r.at >= cutoff,
  }));
};

/** The registered manifest of a job, from the event store (not a read model: execs run exactly what is registered). */
export const registeredManifest = async (deps: ApiDeps, jobId: string): Promise<JobManifest> => {
  const { state } = await deps.store.aggregateStream(jobStreamName(jobId), { evolve, initialState });
  if (state.status !== 'active') throw new JobNotFound(jobId);
  return state.manifest;
};

/** Resolves the target, snapshots the command and records ExecRequested; the dispatcher does the rest. */
export const requestExec = async (
  deps: ApiDeps,
  request: { kind: 'job' | 'adhoc'; manifest: JobManifest; target: Target; jitter?: string; startingDeadline?: string },
  commit: CommitContext,
): Promise<ExecAccepted> => {
  const fleet = await deps.store.aggregateStream(FLEET_STREAM, fleetDecider);
  if (fleet.state.halted) throw new FleetIsHalted(fleet.state.reason ?? 'no reason given');
  const resolution = resolveTarget(request.target, await knownAgents(deps));
  if (resolution.unknown.length > 0) {
    throw new RequestRejected(
      422,
      'unknown-pc',
      `no agent has enrolled as ${resolution.unknown.join(', ')}`,
      resolution.unknown.map((pc) => ({ path: 'target.pcs', message: `unknown pc ${pc}` })),
    );
  }
  const exec_id = deps.newId();
  const request_id = deps.newId();
  const command: ExecCommand = buildCommand(request.manifest, {
    exec_id,
    request_id,
    ...(request.jitter === undefined ? {} : { jitter_secs: parseDuration(request.jitter) ?? 0 }),
    ...(request.startingDeadline === undefined
      ? {}
      : {
          deadline_at: new Date(
            Date.parse(commit.at) + (parseDuration(request.startingDeadline) ?? 0) * 1000,
          ).toISOString(),
        }),
  });
  const { manifest } = request;
  const handled = await handleExec(
    deps.store,
    execStreamName(exec_id),
    {
      type: 'RequestExec',
      data: {
        exec_id,
        kind: request.kind,
        job_id: manifest.id,
        version: manifest.version,
        request_id,
        target: request.target,
        pcs: resolution.pcs,
        command,
      },
    },
    { ...commit, correlationId: exec_id },
  );
  return { exec_id, target_count: resolution.pcs.length, pcs: resolution.pcs, seq: handled.seq };
};

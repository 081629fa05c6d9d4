import {
  buildCommand,
  type ExecCommand,
  execDecider,
  execStreamName,
  type KnownAgent,
  namedGroups,
  planRollout,
  type Rollout,
  resolveTarget,
  type Target,
  unknownGroupIssues,
  type WaveGate,
  type WavePlan,
} from '../../domain/execs/index.ts';
import { FLEET_STREAM, FleetIsHalted, fleetDecider } from '../../domain/fleet/index.ts';
import type { JobManifest } from '../../domain/jobs/index.ts';
import { evolve, initialState, JobNotFound, jobStreamName } from '../../domain/jobs/index.ts';
import { parseDuration } from '../../domain/shared/index.ts';
import { type CommitContext, commandHandlerFor } from '../../infra/eventStore/index.ts';
import { ONLINE_WINDOW_MS } from '../../projections/index.ts';
import { readModelsCaughtUp } from '../consistency.ts';
import type { ApiDeps } from '../env.ts';
import { RequestRejected } from '../errors.ts';

const handleExec = commandHandlerFor(execDecider);

/** What requesting an exec needs (the API, and the scheduler, which requests on its own). */
export type ExecDeps = Pick<ApiDeps, 'jsm' | 'store' | 'readModels' | 'now' | 'newId'>;

/** What a new exec answers: who it reaches. */
export type ExecAccepted = { exec_id: string; target_count: number; pcs: string[]; seq: number };

/**
 * The agents target resolution sees: approved ones (pending, rejected and terminated agents are in
 * no target), from the read model once it has caught up with the stream.
 */
export const knownAgents = async (deps: ExecDeps): Promise<KnownAgent[]> => {
  await readModelsCaughtUp(deps);
  const cutoff = new Date(deps.now().getTime() - ONLINE_WINDOW_MS).toISOString();
  const rows = await deps.readModels
    .db()
    .selectFrom('agents as a')
    .leftJoin('agent_heartbeats as h', 'h.pc_id', 'a.pc_id')
    .leftJoin('agent_enrollment as en', 'en.pc_id', 'a.pc_id')
    .select(['a.pc_id', 'a.groups', 'h.at'])
    .where((eb) => eb.or([eb('en.status', 'is', null), eb('en.status', '=', 'approved')]))
    .execute();
  return rows.map((r) => ({
    pc_id: r.pc_id,
    groups: JSON.parse(r.groups) as string[],
    online: r.at !== null && r.at >= cutoff,
  }));
};

/** The registered manifest of a job, from the event store (not a read model: execs run exactly what is registered). */
export const registeredManifest = async (deps: ExecDeps, jobId: string): Promise<JobManifest> => {
  const { state } = await deps.store.aggregateStream(jobStreamName(jobId), { evolve, initialState });
  if (state.status !== 'active') throw new JobNotFound(jobId);
  return state.manifest;
};

/** What an exec is asked to do: run a job (or a script) on a target, or in waves scoped by one. */
export type ExecRequest = {
  kind: 'job' | 'adhoc';
  manifest: JobManifest;
  target?: Target;
  rollout?: { waves: WavePlan[]; gate?: WaveGate };
  jitter?: string;
  startingDeadline?: string;
  /** The exec id, when the caller derives it (the scheduler: one per slot); otherwise a new one. */
  execId?: string;
  /**
   * When the exec was meant to start (a schedule's slot): starting deadlines count from it (plus each
   * wave's delay), while waves are due from now, so a late fire still rolls out wave by wave. Default: now.
   */
  startsAt?: string;
};

/** Resolves the target, snapshots the command and records ExecRequested; the dispatcher does the rest. */
export const requestExec = async (
  deps: ExecDeps,
  request: ExecRequest,
  commit: CommitContext,
): Promise<ExecAccepted> => {
  const fleet = await deps.store.aggregateStream(FLEET_STREAM, fleetDecider);
  if (fleet.state.halted) throw new FleetIsHalted(fleet.state.reason ?? 'no reason given');
  const agents = await knownAgents(deps);
  assertGroupsKnown(request, agents);
  const resolution = resolveTarget(request.target ?? {}, agents);
  if (resolution.unknown.length > 0) {
    throw new RequestRejected(
      422,
      'unknown-pc',
      `no approved agent ${resolution.unknown.join(', ')} (never enrolled, waiting for approval, or terminated)`,
      resolution.unknown.map((pc) => ({ path: 'target.pcs', message: `no approved agent ${pc}` })),
    );
  }
  const exec_id = request.execId ?? deps.newId();
  const request_id = deps.newId();
  const now = Date.parse(commit.at);
  const nominal = Date.parse(request.startsAt ?? commit.at);
  const deadlineFrom = (from: number) =>
    request.startingDeadline === undefined
      ? {}
      : { deadline_at: new Date(from + (parseDuration(request.startingDeadline) ?? 0) * 1000).toISOString() };
  const rollout =
    request.rollout === undefined
      ? undefined
      : planRollout(request.rollout.waves, request.target, agents, request.rollout.gate);
  if (rollout !== undefined) assertRolloutCanSucceed(rollout);
  else if (resolution.pcs.length === 0) throw nobodyOnline(request.target ?? {}, agents);
  // Waves carry their own starting deadline (counted from when each is due); a plain exec's is in the command.
  const command: ExecCommand = buildCommand(request.manifest, {
    exec_id,
    request_id,
    ...(request.jitter === undefined ? {} : { jitter_secs: parseDuration(request.jitter) ?? 0 }),
    ...(rollout === undefined ? deadlineFrom(nominal) : {}),
  });
  const wave_times = (rollout?.waves ?? []).map((w) => ({
    due_at: new Date(now + w.delay_secs * 1000).toISOString(),
    ...deadlineFrom(nominal + w.delay_secs * 1000),
  }));
  const pcs = rollout === undefined ? resolution.pcs : rollout.waves.flatMap((w) => w.pcs).sort();
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
        target: request.target ?? { groups: [...new Set(request.rollout?.waves.map((w) => w.group))].sort() },
        pcs,
        command,
        ...(rollout === undefined ? {} : { rollout, wave_times }),
      },
    },
    { ...commit, correlationId: exec_id },
  );
  return { exec_id, target_count: pcs.length, pcs, seq: handled.seq };
};

// A group no approved agent is in is refused like an unknown PC, with the nearest group name.
const assertGroupsKnown = (request: ExecRequest, agents: readonly KnownAgent[]) => {
  const named = namedGroups(request.target, request.rollout?.waves);
  const issues = unknownGroupIssues(named, agents);
  if (issues.length === 0) return;
  const unknown = [...new Set(named.filter((n) => issues.some((i) => i.path === n.path)).map((n) => n.group))];
  throw new RequestRejected(422, 'unknown-group', `no approved agent is in group(s) ${unknown.join(', ')}`, issues);
};

// A target nobody online is in would run nothing: say so instead of recording an exec that is done at once.
const nobodyOnline = (target: Target, agents: readonly KnownAgent[]) => {
  const members = (group: string) => agents.filter((a) => a.groups.includes(group));
  const detail = (target.groups ?? []).map((g) => `${g}: ${members(g).length} agent(s), none online`);
  return new RequestRejected(
    422,
    'target-offline',
    `the target resolves to no online agent${detail.length === 0 ? '' : ` (${detail.join('; ')})`}`,
    [{ path: 'target', message: 'no online agent in the target; name PCs to reach offline ones when they return' }],
  );
};

// A rollout that can only halt is refused when it is asked for, with what would stop it.
const assertRolloutCanSucceed = (rollout: Rollout) => {
  const issues: { path: string; message: string }[] = [];
  if (rollout.waves.every((w) => w.target_count === 0))
    issues.push({
      path: 'rollout.waves',
      message: 'no wave has a PC: its groups have no online member (within the target)',
    });
  const minSuccess = rollout.gate?.min_success;
  if (minSuccess !== undefined)
    rollout.waves.slice(0, -1).forEach((w, i) => {
      if (w.target_count < minSuccess)
        issues.push({
          path: 'rollout.gate.min_success',
          message: `wave ${i} (${w.group}) has ${w.target_count} PC(s), so min_success ${minSuccess} can never be met`,
        });
    });
  if (issues.length > 0)
    throw new RequestRejected(422, 'rollout-cannot-succeed', 'this rollout could only halt', issues);
};

import {
  type ApprovalRequest,
  buildCommand,
  type ExecCommand,
  type ExecRequestData,
  execDecider,
  execRequestedData,
  execStreamName,
  planRollout,
  resolveTarget,
  type Target,
  UnknownPc,
  type WaveGate,
  type WavePlan,
  type WaveTime,
} from '../../domain/execs/index.ts';
import { FLEET_STREAM, FleetIsHalted, fleetDecider } from '../../domain/fleet/index.ts';
import { approvalsNeeded, DEFAULT_APPROVAL_TIMEOUT, type JobManifest } from '../../domain/jobs/index.ts';
import { parseDuration } from '../../domain/shared/index.ts';
import { type CommitContext, commandHandlerFor } from '../../infra/eventStore/index.ts';
import { maxPayloadOf } from '../../infra/nats/payload.ts';
import type { AppDeps } from '../deps.ts';
import { knownAgents } from './knownAgents.ts';
import { cutIntoParts, fitsOneCommit } from './parts.ts';
import { assertGroupsKnown, assertRolloutCanSucceed, nobodyOnline } from './refusals.ts';

const handleExec = commandHandlerFor(execDecider);

/** What requesting an exec needs (the API, and the scheduler, which requests on its own). */
export type ExecDeps = AppDeps;

/** What a new exec answers: who it reaches, and (for a job marked so) the approval it waits for first. */
export type ExecAccepted = {
  exec_id: string;
  target_count: number;
  pcs: string[];
  seq: number;
  approval?: { approvers: number; expires_at: string };
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

/**
 * Resolves the target, snapshots the command and records ExecRequested; the dispatcher does the rest.
 * Refusals are domain errors: the fleet is halted, a PC or group is unknown, nobody online is in the
 * target, a rollout could only halt.
 */
export const requestExec = async (
  deps: ExecDeps,
  request: ExecRequest,
  commit: CommitContext,
): Promise<ExecAccepted> => {
  const fleet = await deps.store.aggregateStream(FLEET_STREAM, fleetDecider);
  if (fleet.state.halted) throw new FleetIsHalted(fleet.state.reason ?? 'no reason given');
  const agents = await knownAgents(deps);
  assertGroupsKnown(request.target, request.rollout?.waves, agents);
  const resolution = resolveTarget(request.target ?? {}, agents);
  if (resolution.unknown.length > 0) throw new UnknownPc(resolution.unknown);
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
  const approval = approvalOf(request, commit);
  // Waiting for approval, a plain exec's starting deadline is set at the last approval (counted from it).
  const command: ExecCommand = buildCommand(request.manifest, {
    exec_id,
    request_id,
    ...(request.jitter === undefined ? {} : { jitter_secs: parseDuration(request.jitter) ?? 0 }),
    ...(rollout === undefined && approval === undefined ? deadlineFrom(nominal) : {}),
  });
  const wave_times: WaveTime[] = (rollout?.waves ?? []).map((w) => ({
    due_at: new Date(now + w.delay_secs * 1000).toISOString(),
    ...deadlineFrom(nominal + w.delay_secs * 1000),
  }));
  const pcs = rollout === undefined ? resolution.pcs : rollout.waves.flatMap((w) => w.pcs).sort();
  const { manifest } = request;
  const data: ExecRequestData = {
    exec_id,
    kind: request.kind,
    job_id: manifest.id,
    version: manifest.version,
    request_id,
    target: request.target ?? { groups: [...new Set(request.rollout?.waves.map((w) => w.group))].sort() },
    pcs,
    command,
    ...(rollout === undefined ? {} : { rollout }),
    ...(approval === undefined ? {} : { approval }),
  };
  const context = { ...commit, correlationId: exec_id };
  const parts = await recordInParts(deps, data, context);
  const handled = await handleExec(
    deps.store,
    execStreamName(exec_id),
    { type: 'RequestExec', data: { ...data, ...(rollout === undefined ? {} : { wave_times }), ...parts } },
    context,
  );
  return {
    exec_id,
    target_count: pcs.length,
    pcs,
    seq: handled.seq,
    ...(approval === undefined ? {} : { approval: { approvers: approval.approvers, expires_at: approval.expires_at } }),
  };
};

// A job marked require_approval waits for that many people other than the requester, until it expires.
const approvalOf = (request: ExecRequest, commit: CommitContext): ApprovalRequest | undefined => {
  const approvers = approvalsNeeded(request.manifest);
  if (approvers === 0) return undefined;
  const timeoutSecs = parseDuration(request.manifest.approval_timeout ?? DEFAULT_APPROVAL_TIMEOUT) ?? 0;
  const deadlineSecs = request.startingDeadline === undefined ? undefined : parseDuration(request.startingDeadline);
  return {
    approvers,
    requested_by: commit.actor,
    expires_at: new Date(Date.parse(commit.at) + timeoutSecs * 1000).toISOString(),
    ...(deadlineSecs === undefined ? {} : { starting_deadline_secs: deadlineSecs }),
  };
};

/**
 * A request too big for one message (tens of thousands of PCs) is recorded in parts first, each a
 * commit of its own on the exec's stream, in order; RequestExec then names how many there are.
 */
const recordInParts = async (
  deps: ExecDeps,
  data: ExecRequestData,
  commit: CommitContext,
): Promise<{ parts?: number }> => {
  const json = JSON.stringify(execRequestedData(data));
  const maxPayload = maxPayloadOf(deps.nc);
  if (fitsOneCommit(json, maxPayload)) return {};
  const texts = cutIntoParts(json, maxPayload);
  for (const [part, text] of texts.entries()) {
    await handleExec(
      deps.store,
      execStreamName(data.exec_id),
      {
        type: 'RecordRequestPart',
        data: { exec_id: data.exec_id, request_id: data.request_id, part, parts: texts.length, text },
      },
      { ...commit, id: `${commit.id}:part:${part}` },
    );
  }
  return { parts: texts.length };
};

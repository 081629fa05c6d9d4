import {
  type ApprovalRequest,
  buildCommand,
  type ExecCommand,
  type ExecRequestData,
  execDecider,
  execRequestedData,
  execStreamName,
  isEmptyTarget,
  type KnownAgent,
  NoAgentMatches,
  planRollout,
  resolveTarget,
  SelectorInvalid,
  type Target,
  UnknownPc,
  type WaveGate,
  type WavePlan,
  type WaveTime,
} from '../../domain/execs/index.ts';
import { FLEET_STREAM, FleetIsHalted, fleetDecider } from '../../domain/fleet/index.ts';
import { approvalsNeeded, DEFAULT_APPROVAL_TIMEOUT, type JobManifest } from '../../domain/jobs/index.ts';
import { matches, parseSelector, selectorText } from '../../domain/selectors/index.ts';
import { parseDuration } from '../../domain/shared/index.ts';
import { type CommitContext, commandHandlerFor } from '../../infra/eventStore/index.ts';
import { maxPayloadOf } from '../../infra/nats/payload.ts';
import { selectorFacts } from '../../projections/index.ts';
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
  /** A selector over facts and groups (`os.family == "linux" and "lab" in groups`): only matching PCs of the target. */
  where?: string;
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
  const plan = await planTargets(deps, request);
  const { rollout, pcs } = plan;
  const exec_id = request.execId ?? deps.newId();
  const request_id = deps.newId();
  const now = Date.parse(commit.at);
  const nominal = Date.parse(request.startsAt ?? commit.at);
  const deadlineFrom = (from: number) =>
    request.startingDeadline === undefined
      ? {}
      : { deadline_at: new Date(from + (parseDuration(request.startingDeadline) ?? 0) * 1000).toISOString() };
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
  const { manifest } = request;
  const data: ExecRequestData = {
    exec_id,
    kind: request.kind,
    job_id: manifest.id,
    version: manifest.version,
    request_id,
    target: plan.target,
    pcs,
    command,
    ...(rollout === undefined ? {} : { rollout }),
    ...(approval === undefined ? {} : { approval }),
    ...(plan.where === undefined ? {} : { where: plan.where }),
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

/** Who an exec would reach, without recording anything (`dry_run`). */
export type ExecPreview = { dry_run: true; target_count: number; pcs: string[]; where?: string };

/** Resolves an exec's target (and selector) as requesting it would, and records nothing. */
export const previewExec = async (deps: ExecDeps, request: ExecRequest): Promise<ExecPreview> => {
  const { pcs, where } = await planTargets(deps, request);
  return { dry_run: true, target_count: pcs.length, pcs, ...(where === undefined ? {} : { where: where.selector }) };
};

/**
 * Who the exec reaches: the target resolved against the approved agents (refusing unknown PCs and
 * groups), narrowed to the agents a `where` selector matches, and the rollout's waves planned over
 * them. With a selector a plain exec names its PCs one by one (a broadcast to all or a group would
 * reach agents the selector left out).
 */
const planTargets = async (deps: ExecDeps, request: ExecRequest) => {
  const agents = await knownAgents(deps);
  assertGroupsKnown(request.target, request.rollout?.waves, agents);
  const scope = request.target ?? (request.where !== undefined && request.rollout === undefined ? { all: true } : {});
  const unknown = resolveTarget(scope, agents).unknown;
  if (unknown.length > 0) throw new UnknownPc(unknown);
  const selected = request.where === undefined ? undefined : await selectAgents(deps, request.where, scope, agents);
  const candidates = selected?.agents ?? agents;
  const rollout =
    request.rollout === undefined
      ? undefined
      : planRollout(request.rollout.waves, request.target, candidates, request.rollout.gate);
  const resolved = resolveTarget(scope, candidates).pcs;
  if (rollout !== undefined) assertRolloutCanSucceed(rollout);
  else if (resolved.length === 0) throw nobodyOnline(scope, agents);
  const pcs = rollout === undefined ? resolved : rollout.waves.flatMap((w) => w.pcs).sort();
  const wavesScope = { groups: [...new Set(request.rollout?.waves.map((w) => w.group))].sort() };
  const target: Target =
    selected !== undefined && rollout === undefined ? { pcs: resolved } : (request.target ?? wavesScope);
  const where = selected === undefined ? undefined : { selector: selected.selector, scope: request.target ?? scope };
  return { rollout, pcs, target, where };
};

// The agents of the scope (online, or named) whose facts and groups match the selector.
const selectAgents = async (deps: ExecDeps, where: string, scope: Target, agents: readonly KnownAgent[]) => {
  const parsed = parseSelector(where);
  if (!parsed.ok) throw new SelectorInvalid(parsed.issues);
  const inScope = new Set(resolveTarget(scope, agents).pcs);
  // A rollout without a target plans over every agent; otherwise the agents the target reaches.
  const candidates = isEmptyTarget(scope) ? [...agents] : agents.filter((a) => inScope.has(a.pc_id));
  const facts = await selectorFacts(
    deps.readModels.db(),
    candidates.map((a) => a.pc_id),
  );
  const matching = candidates.filter((a) =>
    matches(parsed.selector, { pc_id: a.pc_id, groups: a.groups, facts: facts.get(a.pc_id) ?? {} }),
  );
  const selector = selectorText(parsed.selector);
  if (matching.length === 0) throw new NoAgentMatches(selector, candidates.length);
  return { agents: matching, selector };
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

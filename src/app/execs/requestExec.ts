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
  normalizeTarget,
  planRollout,
  resolveTarget,
  SelectorInvalid,
  type Target,
  UnknownPc,
  type Wave,
  type WaveGate,
  type WaveInput,
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

/** Who an exec would reach, without recording anything (`dry_run`), and, for a rollout, each wave's PCs. */
export type ExecPreview = { dry_run: true; target_count: number; pcs: string[]; where?: string; waves?: Wave[] };

/** Resolves an exec's target (and selectors) as requesting it would, and records nothing. */
export const previewExec = async (deps: ExecDeps, request: ExecRequest): Promise<ExecPreview> => {
  const { pcs, where, rollout } = await planTargets(deps, request);
  return {
    dry_run: true,
    target_count: pcs.length,
    pcs,
    ...(where === undefined ? {} : { where: where.selector }),
    ...(rollout === undefined ? {} : { waves: rollout.waves }),
  };
};

/**
 * Who the exec reaches: the target resolved against the approved agents (refusing unknown PCs and
 * groups), narrowed to the agents a `where` selector matches, and the rollout's waves planned over
 * them (a selector wave matched against the agents' facts and groups, like `where`). With a selector
 * a plain exec names its PCs one by one (a broadcast to all or a group would reach agents the
 * selector left out).
 */
const planTargets = async (deps: ExecDeps, request: ExecRequest) => {
  const agents = await knownAgents(deps);
  assertGroupsKnown(request.target, request.rollout?.waves, agents);
  const waves = request.rollout === undefined ? undefined : parsedWaves(request.rollout.waves);
  const scope = request.target ?? (request.where !== undefined && request.rollout === undefined ? { all: true } : {});
  const unknown = resolveTarget(scope, agents).unknown;
  if (unknown.length > 0) throw new UnknownPc(unknown);
  // Facts are read once, for every agent a selector (the exec's, or a wave's) may look at.
  const looked = request.where === undefined ? agents : scopeAgents(scope, agents);
  const needsFacts = request.where !== undefined || (waves ?? []).some((w) => 'where' in w);
  const facts = needsFacts ? await factsOfAgents(deps, looked) : undefined;
  const selected = request.where === undefined ? undefined : selectAgents(request.where, looked, facts);
  const candidates = selected?.agents ?? agents;
  const rollout =
    waves === undefined
      ? undefined
      : planRollout(waves, request.target, candidates, request.rollout?.gate, (pc) => facts?.get(pc));
  const resolved = resolveTarget(scope, candidates).pcs;
  if (rollout !== undefined) assertRolloutCanSucceed(rollout);
  else if (resolved.length === 0) throw nobodyOnline(scope, agents);
  const pcs = rollout === undefined ? resolved : rollout.waves.flatMap((w) => w.pcs).sort();
  // Waves without a target are for their groups' members, and the PCs their selectors chose.
  const wavesScope = normalizeTarget({
    groups: (rollout?.waves ?? []).flatMap((w) => (w.group === undefined ? [] : [w.group])),
    pcs: (rollout?.waves ?? []).flatMap((w) => (w.where === undefined ? [] : w.pcs)),
  });
  const target: Target =
    selected !== undefined && rollout === undefined ? { pcs: resolved } : (request.target ?? wavesScope);
  const where = selected === undefined ? undefined : { selector: selected.selector, scope: request.target ?? scope };
  return { rollout, pcs, target, where };
};

// A wave's selector, parsed (the edges validate it; a bad one here is refused with its wave's path).
const parsedWaves = (waves: readonly WavePlan[]): WaveInput[] =>
  waves.map((w, i) => {
    if (!('where' in w)) return w;
    const parsed = parseSelector(w.where);
    if (!parsed.ok)
      throw new SelectorInvalid(parsed.issues.map((issue) => ({ ...issue, path: `rollout.waves[${i}].where` })));
    return { where: parsed.selector, delay_secs: w.delay_secs };
  });

// The agents a selector may look at: those the scope reaches (online, or named), or every agent
// when there is no scope (a rollout without a target plans over all of them).
const scopeAgents = (scope: Target, agents: readonly KnownAgent[]): KnownAgent[] => {
  if (isEmptyTarget(scope)) return [...agents];
  const inScope = new Set(resolveTarget(scope, agents).pcs);
  return agents.filter((a) => inScope.has(a.pc_id));
};

// The facts of these agents, as selectors see them.
const factsOfAgents = (deps: ExecDeps, agents: readonly KnownAgent[]) =>
  selectorFacts(
    deps.readModels.db(),
    agents.map((a) => a.pc_id),
  );

/** The agents (online or not) a wave's valid selector matches: a schedule's members, for once_per_target. */
export const agentsMatching = async (
  deps: ExecDeps,
  where: string,
  agents: readonly KnownAgent[],
): Promise<string[]> => {
  const parsed = parseSelector(where);
  if (!parsed.ok) throw new SelectorInvalid(parsed.issues);
  const facts = await factsOfAgents(deps, agents);
  return agents
    .filter((a) => matches(parsed.selector, { pc_id: a.pc_id, groups: a.groups, facts: facts.get(a.pc_id) ?? {} }))
    .map((a) => a.pc_id);
};

// The agents (of those the scope reaches) whose facts and groups match the selector.
const selectAgents = (
  where: string,
  candidates: readonly KnownAgent[],
  facts: ReadonlyMap<string, Record<string, unknown>> | undefined,
) => {
  const parsed = parseSelector(where);
  if (!parsed.ok) throw new SelectorInvalid(parsed.issues);
  const matching = candidates.filter((a) =>
    matches(parsed.selector, { pc_id: a.pc_id, groups: a.groups, facts: facts?.get(a.pc_id) ?? {} }),
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

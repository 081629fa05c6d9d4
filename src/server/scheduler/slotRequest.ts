import { knownAgents } from '../../app/execs/knownAgents.ts';
import { agentsMatching, type ExecDeps, type ExecRequest } from '../../app/execs/requestExec.ts';
import { type KnownAgent, resolveTarget, type Target, wavePlanOf } from '../../domain/execs/index.ts';
import type { JobManifest } from '../../domain/jobs/index.ts';
import { chooseFire, type ScheduleManifest } from '../../domain/schedules/index.ts';
import { parseDuration } from '../../domain/shared/index.ts';
import { jobHistory } from '../../projections/index.ts';

/**
 * What one slot of a schedule asks for: the whole plan (target and rollout), some PCs (once_per_pc),
 * or nothing (and why). The exec id is the slot's own; commands' starting deadlines count from the slot.
 */
export const slotRequest = async (
  deps: ExecDeps,
  m: ScheduleManifest,
  job: JobManifest,
  slot: string,
  execId: string,
): Promise<{ request: ExecRequest } | { none: string }> => {
  const base: ExecRequest = {
    kind: 'job',
    manifest: job,
    execId,
    startsAt: slot,
    ...(m.jitter === undefined ? {} : { jitter: m.jitter }),
    ...(m.starting_deadline === undefined ? {} : { startingDeadline: m.starting_deadline }),
    ...(m.where === undefined ? {} : { where: m.where }),
  };
  const plan: ExecRequest = {
    ...base,
    ...(m.target === undefined ? {} : { target: m.target }),
    ...(m.rollout === undefined
      ? {}
      : {
          rollout: {
            waves: m.rollout.waves.map(wavePlanOf),
            ...(m.rollout.gate === undefined ? {} : { gate: m.rollout.gate }),
          },
        }),
  };
  if (m.mode === 'every_tick') return { request: plan };
  const agents = await knownAgents(deps);
  const scope = m.target ?? (await wavesScope(deps, m, agents));
  const targets = {
    runnable: resolveTarget(scope, agents).pcs,
    members: resolveTarget(
      scope,
      agents.map((a) => ({ ...a, online: true })),
    ).pcs,
  };
  const history = await jobHistory(deps.readModels.db(), m.job_id);
  const cooldown = m.cooldown === undefined ? undefined : parseDuration(m.cooldown);
  const choice = chooseFire(m.mode, targets, history, deps.now().toISOString(), cooldown);
  if (choice.fire === 'none') return { none: choice.reason };
  return { request: choice.fire === 'plan' ? plan : { ...base, target: { pcs: choice.pcs } } };
};

// Without a target, a schedule's waves are for their groups' members and the agents their selectors match.
const wavesScope = async (deps: ExecDeps, m: ScheduleManifest, agents: readonly KnownAgent[]): Promise<Target> => {
  const waves = m.rollout?.waves ?? [];
  const pcs: string[] = [];
  for (const w of waves) if ('where' in w) pcs.push(...(await agentsMatching(deps, w.where, agents)));
  return { groups: waves.flatMap((w) => ('group' in w ? [w.group] : [])), pcs: [...new Set(pcs)].sort() };
};

import {
  type KnownAgent,
  namedGroups,
  type Rollout,
  RolloutCannotSucceed,
  type Target,
  TargetOffline,
  UnknownGroup,
  unknownGroupIssues,
  type WavePlan,
  waveLabel,
} from '../../domain/execs/index.ts';

/** A group no approved agent is in is refused like an unknown PC, with the nearest group name. */
export const assertGroupsKnown = (
  target: Target | undefined,
  waves: readonly WavePlan[] | undefined,
  agents: readonly KnownAgent[],
) => {
  const named = namedGroups(target, waves);
  const issues = unknownGroupIssues(named, agents);
  if (issues.length === 0) return;
  const unknown = [...new Set(named.filter((n) => issues.some((i) => i.path === n.path)).map((n) => n.group))];
  throw new UnknownGroup(unknown, issues);
};

/** A target nobody online is in would run nothing: say so instead of recording an exec that is done at once. */
export const nobodyOnline = (target: Target, agents: readonly KnownAgent[]): TargetOffline => {
  const members = (group: string) => agents.filter((a) => a.groups.includes(group));
  return new TargetOffline((target.groups ?? []).map((g) => `${g}: ${members(g).length} agent(s), none online`));
};

/** A rollout that can only halt is refused when it is asked for, with what would stop it. */
export const assertRolloutCanSucceed = (rollout: Rollout) => {
  const issues: { path: string; message: string }[] = [];
  if (rollout.waves.every((w) => w.target_count === 0))
    issues.push({
      path: 'rollout.waves',
      message:
        'no wave has a PC: its groups have no online member and its selectors match no online agent (within the target)',
    });
  const minSuccess = rollout.gate?.min_success;
  if (minSuccess !== undefined)
    rollout.waves.slice(0, -1).forEach((w, i) => {
      if (w.target_count < minSuccess)
        issues.push({
          path: 'rollout.gate.min_success',
          message: `wave ${i} (${waveLabel(w)}) has ${w.target_count} PC(s), so min_success ${minSuccess} can never be met`,
        });
    });
  if (issues.length > 0) throw new RolloutCannotSucceed(issues);
};

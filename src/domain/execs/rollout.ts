import type { Rollout, Wave, WaveGate } from './events.ts';
import { type KnownAgent, resolveTarget, type Target } from './target.ts';

/** A rollout as requests and manifests write it: waves of groups, each with a delay (a duration), and a gate. */
export type RolloutSpec = Readonly<{
  strategy: 'wave';
  waves: readonly { group: string; delay: string }[];
  gate?: WaveGate;
}>;

/** A wave as the planner takes it: a group and a delay in seconds, counted from the request. */
export type WavePlan = { group: string; delay_secs: number };

/**
 * Splits a rollout into waves of PCs. Each wave is the online members of its group (or, with a
 * `scope` target, the members the scope resolves to, offline named PCs included), minus the PCs of
 * earlier waves: a PC runs in the first wave that names it, once.
 */
export const planRollout = (
  waves: readonly WavePlan[],
  scope: Target | undefined,
  agents: readonly KnownAgent[],
  gate?: WaveGate,
): Rollout => {
  const inScope = scope === undefined ? undefined : new Set(resolveTarget(scope, agents).pcs);
  const taken = new Set<string>();
  const planned: Wave[] = waves.map(({ group, delay_secs }) => {
    const pcs = agents
      .filter((a) => a.groups.includes(group) && (inScope === undefined ? a.online : inScope.has(a.pc_id)))
      .map((a) => a.pc_id)
      .filter((pc) => !taken.has(pc))
      .sort();
    for (const pc of pcs) taken.add(pc);
    return { group, delay_secs, pcs, target_count: pcs.length };
  });
  return { waves: planned, ...(gate === undefined ? {} : { gate }) };
};

/** The counters of one wave a gate looks at. */
export type WaveProgress = { target_count: number; succeeded: number; failed: number; skipped: number };

/** Whether the next wave may go out, judged on the previous wave's finished results. */
export type GateVerdict = { pass: true } | { pass: false; reason: string };

/**
 * Judges the gate between waves at the moment the next wave is due. Runs still going do not count;
 * a wave that had PCs but no finished result yet cannot vouch for the next one, so it halts. Skips
 * (gated commands) are neither successes nor failures.
 */
export const judgeGate = (gate: WaveGate | undefined, previous: WaveProgress, previousWave: number): GateVerdict => {
  if (gate === undefined) return { pass: true };
  const judged = previous.succeeded + previous.failed;
  const label = `wave ${previousWave}`;
  if (gate.min_success !== undefined && previous.succeeded < gate.min_success)
    return {
      pass: false,
      reason: `${label} has ${previous.succeeded} successes, fewer than min_success ${gate.min_success}`,
    };
  if (gate.max_failure_ratio !== undefined && previous.target_count > 0) {
    if (judged === 0) return { pass: false, reason: `${label} has no finished result yet to judge` };
    const ratio = previous.failed / judged;
    if (ratio > gate.max_failure_ratio)
      return {
        pass: false,
        reason: `${label} failed on ${previous.failed} of ${judged} PCs (${formatRatio(ratio)} > max_failure_ratio ${gate.max_failure_ratio})`,
      };
  }
  return { pass: true };
};

const formatRatio = (r: number) => String(Math.round(r * 1000) / 1000);

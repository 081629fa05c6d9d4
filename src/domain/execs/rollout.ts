import type { Selector } from '../selectors/ast.ts';
import { matches } from '../selectors/evaluate.ts';
import { selectorText } from '../selectors/print.ts';
import { parseDuration } from '../shared/index.ts';
import type { Rollout, Wave, WaveGate, WaveWhere } from './events.ts';
import { type KnownAgent, resolveTarget, type Target } from './target.ts';

/** A wave as requests and manifests write it: a group, or a selector over facts and groups, and a delay. */
export type WaveSpec = Readonly<{ group: string; delay: string } | { where: string; delay: string }>;

/** A rollout as requests and manifests write it: waves of groups (or selectors), each with a delay (a duration), and a gate. */
export type RolloutSpec = Readonly<{
  strategy: 'wave';
  waves: readonly WaveSpec[];
  gate?: WaveGate;
}>;

/** A wave as a request takes it: a group (or a selector's text) and a delay in seconds, counted from the request. */
export type WavePlan = { group: string; delay_secs: number } | { where: string; delay_secs: number };

/** A wave as the planner takes it: a group, or a parsed selector, and its delay in seconds. */
export type WaveInput = { group: string; delay_secs: number } | { where: Selector; delay_secs: number };

/** A written wave as a request takes it (its delay in seconds). */
export const wavePlanOf = (w: WaveSpec): WavePlan => {
  const delay_secs = parseDuration(w.delay) ?? 0;
  return 'where' in w ? { where: w.where, delay_secs } : { group: w.group, delay_secs };
};

/** The agent facts a selector wave is matched against, by pc id (none known: `{}`). */
export type FactsOf = (pc_id: string) => unknown;

/**
 * Splits a rollout into waves of PCs. Each wave is the online members of its group, or the online
 * agents its selector matches (or, with a `scope` target, those the scope resolves to, offline named
 * PCs included), minus the PCs of earlier waves: a PC runs in the first wave that names it, once.
 * A selector wave records the selector's canonical text.
 */
export const planRollout = (
  waves: readonly WaveInput[],
  scope: Target | undefined,
  agents: readonly KnownAgent[],
  gate?: WaveGate,
  factsOf: FactsOf = () => ({}),
): Rollout => {
  const inScope = scope === undefined ? undefined : new Set(resolveTarget(scope, agents).pcs);
  const taken = new Set<string>();
  const planned: Wave[] = waves.map((w) => {
    const member =
      'where' in w
        ? (a: KnownAgent) => matches(w.where, { pc_id: a.pc_id, groups: a.groups, facts: factsOf(a.pc_id) ?? {} })
        : (a: KnownAgent) => a.groups.includes(w.group);
    const pcs = agents
      .filter((a) => (inScope === undefined ? a.online : inScope.has(a.pc_id)) && member(a))
      .map((a) => a.pc_id)
      .filter((pc) => !taken.has(pc))
      .sort();
    for (const pc of pcs) taken.add(pc);
    const chooser = 'where' in w ? { where: { selector: selectorText(w.where) } } : { group: w.group };
    return { ...chooser, delay_secs: w.delay_secs, pcs, target_count: pcs.length };
  });
  return { waves: planned, ...(gate === undefined ? {} : { gate }) };
};

/** What chose a recorded wave's PCs, as WaveScheduled repeats it: its group, or its selector. */
export const waveChooser = (w: { group?: string; where?: WaveWhere }): { group: string } | { where: WaveWhere } =>
  w.where !== undefined ? { where: w.where } : { group: w.group ?? '' };

/** A recorded wave in a word or two, for people: its group, or `where <selector>`. */
export const waveLabel = (w: { group?: string | null; where?: WaveWhere | null }): string =>
  w.group ?? (w.where === undefined || w.where === null ? '?' : `where ${w.where.selector}`);

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

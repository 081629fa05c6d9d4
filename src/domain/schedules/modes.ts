import type { ScheduleMode } from './manifest.ts';

/** What the scheduler knows of the schedule's job, per PC. */
export type JobHistory = {
  /** pc → finish time (ISO) of its last success (exit 0: skips never count, kanade #910). */
  lastSuccess: ReadonlyMap<string, string>;
  /** PCs running the job right now. */
  running: ReadonlySet<string>;
  /** PCs sent the job by an exec that has no result from them yet (offline, say): it is still on its way. */
  pending: ReadonlySet<string>;
};

/** Whom a schedule's target names: the PCs it would run on now, and every member, online or not. */
export type ScheduleTargets = { runnable: readonly string[]; members: readonly string[] };

/** Whom a slot fires at: the schedule's own target/rollout, some of its PCs, or nobody (and why). */
export type FireChoice = { fire: 'plan' } | { fire: 'pcs'; pcs: string[] } | { fire: 'none'; reason: string };

/**
 * Applies the schedule's mode at `now`. `once_per_pc` fires at the runnable PCs without a success
 * within `cooldownSecs` (ever, without a cooldown) and without the job already on its way;
 * `once_per_target` fires the whole plan until any member (online or not) succeeded, and not while
 * one is running it or has it on its way.
 */
export const chooseFire = (
  mode: ScheduleMode,
  targets: ScheduleTargets,
  history: JobHistory,
  now: string,
  cooldownSecs: number | undefined,
): FireChoice => {
  if (mode === 'every_tick') return { fire: 'plan' };
  const nowMs = Date.parse(now);
  const succeeded = (pc: string) => {
    const at = history.lastSuccess.get(pc);
    return at !== undefined && (cooldownSecs === undefined || nowMs - Date.parse(at) < cooldownSecs * 1000);
  };
  const busy = (pc: string) => history.running.has(pc) || history.pending.has(pc);
  const within = cooldownSecs === undefined ? '' : ' within the cooldown';
  if (mode === 'once_per_target') {
    const done = targets.members.find(succeeded);
    if (done !== undefined) return { fire: 'none', reason: `${done} in the target has succeeded${within}` };
    const inFlight = targets.members.find(busy);
    return inFlight === undefined
      ? { fire: 'plan' }
      : { fire: 'none', reason: `the job is still running or on its way to ${inFlight}` };
  }
  const pcs = targets.runnable.filter((pc) => !succeeded(pc) && !busy(pc));
  return pcs.length > 0
    ? { fire: 'pcs', pcs }
    : { fire: 'none', reason: `every PC in the target has succeeded${within}, or has the job running or on its way` };
};

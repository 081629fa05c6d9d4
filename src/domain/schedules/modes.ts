import type { ScheduleMode } from './manifest.ts';

/** What the scheduler knows of past runs of the schedule's job, per PC. */
export type JobHistory = {
  /** pc → finish time (ISO) of its last success (exit 0: skips never count, kanade #910). */
  lastSuccess: ReadonlyMap<string, string>;
  /** PCs running the job right now. */
  running: ReadonlySet<string>;
};

/** Whom a slot fires at: the schedule's own target/rollout, some of its PCs, or nobody (and why). */
export type FireChoice = { fire: 'plan' } | { fire: 'pcs'; pcs: string[] } | { fire: 'none'; reason: string };

/**
 * Applies the schedule's mode at `now` to the PCs its target resolves to (`expected`).
 * `once_per_pc` fires at PCs without a success within `cooldownSecs` (ever, without a cooldown) and
 * not running the job already; `once_per_target` fires the whole plan until any expected PC succeeded.
 */
export const chooseFire = (
  mode: ScheduleMode,
  expected: readonly string[],
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
  const within = cooldownSecs === undefined ? '' : ' within the cooldown';
  if (mode === 'once_per_target') {
    const done = expected.find(succeeded);
    return done === undefined
      ? { fire: 'plan' }
      : { fire: 'none', reason: `${done} in the target has succeeded${within}` };
  }
  const pcs = expected.filter((pc) => !succeeded(pc) && !history.running.has(pc));
  return pcs.length > 0
    ? { fire: 'pcs', pcs }
    : { fire: 'none', reason: `every PC in the target has succeeded${within} or is running` };
};

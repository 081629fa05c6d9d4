import type { RolloutSpec, Target } from '../execs/index.ts';

/** How a schedule picks whom to run at each slot (kanade's ExecMode). */
export const SCHEDULE_MODES = ['every_tick', 'once_per_pc', 'once_per_target'] as const;
/** `every_tick`: the whole target every slot; `once_per_pc`: PCs without a success (within cooldown); `once_per_target`: the target until any PC succeeds. */
export type ScheduleMode = (typeof SCHEDULE_MODES)[number];

/** A schedule manifest (kanade's cron shape), as validated at the edge: durations canonical, defaults filled. */
export type ScheduleManifest = Readonly<{
  id: string;
  description?: string;
  /** 5 fields (minute precision) or 6 (with seconds first). */
  cron: string;
  /** IANA time zone the cron is read in. */
  tz: string;
  job_id: string;
  target?: Target;
  rollout?: RolloutSpec;
  /** A selector over facts and groups: each fire runs on the matching PCs of the target (judged at the fire). */
  where?: string;
  jitter?: string;
  mode: ScheduleMode;
  /** With once_per_*: how long a success counts; without, a success counts for ever. */
  cooldown?: string;
  /** Commands must start by slot + this (their deadline_at); also how late a missed slot may still be caught up. */
  starting_deadline?: string;
  enabled: boolean;
}>;

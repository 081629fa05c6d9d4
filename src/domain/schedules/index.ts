export type {
  ApplySchedule,
  DeleteSchedule,
  DisableSchedule,
  EnableSchedule,
  FireSchedule,
  ScheduleCommand,
  ScheduleState,
  SkipSlots,
} from './decider.ts';
export { ScheduleNotFound, scheduleDecider } from './decider.ts';
export type {
  ScheduleCreated,
  ScheduleDeleted,
  ScheduleDisabled,
  ScheduleEnabled,
  ScheduleEvent,
  ScheduleFired,
  ScheduleSkipped,
  ScheduleUpdated,
} from './events.ts';
export { scheduleStreamName } from './events.ts';
export type { ScheduleManifest, ScheduleMode } from './manifest.ts';
export { SCHEDULE_MODES } from './manifest.ts';
export type { FireChoice, JobHistory, ScheduleTargets } from './modes.ts';
export { chooseFire } from './modes.ts';
export type { DueSlots, SlotPlan } from './slots.ts';
export { ON_TIME_SECS, planSlots } from './slots.ts';

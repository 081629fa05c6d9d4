import type { DomainEvent } from '../shared/messages.ts';
import type { ScheduleManifest } from './manifest.ts';

/** A schedule id appeared (first time, or again after a delete). */
export type ScheduleCreated = DomainEvent<'ScheduleCreated', { schedule_id: string; manifest: ScheduleManifest }>;

/** A schedule's manifest changed; `changed` lists the paths that differ. */
export type ScheduleUpdated = DomainEvent<
  'ScheduleUpdated',
  { schedule_id: string; manifest: ScheduleManifest; changed: string[] }
>;

/** A schedule is gone: it never fires again. */
export type ScheduleDeleted = DomainEvent<'ScheduleDeleted', { schedule_id: string }>;

/** An operator turned a schedule on: slots from now on fire (earlier ones are not "missed"). */
export type ScheduleEnabled = DomainEvent<'ScheduleEnabled', { schedule_id: string }>;

/** An operator turned a schedule off. */
export type ScheduleDisabled = DomainEvent<'ScheduleDisabled', { schedule_id: string }>;

/**
 * The scheduler fired one slot (an ISO time): `exec_id` (derived from schedule and slot) is the exec it
 * requested. Its commit id is `schedule:<id>:<slot>`; the decider takes each slot once, in order.
 * `catch_up` marks a slot fired late, after no scheduler was running at its time.
 */
export type ScheduleFired = DomainEvent<
  'ScheduleFired',
  { schedule_id: string; slot: string; exec_id: string; catch_up?: boolean }
>;

/** Slots `from`…`to` (`count` of them) did not fire, and why (no scheduler was running, the fleet was halted, …). */
export type ScheduleSkipped = DomainEvent<
  'ScheduleSkipped',
  { schedule_id: string; from: string; to: string; count: number; reason: string }
>;

/** Every event of the schedule aggregate. */
export type ScheduleEvent =
  | ScheduleCreated
  | ScheduleUpdated
  | ScheduleDeleted
  | ScheduleEnabled
  | ScheduleDisabled
  | ScheduleFired
  | ScheduleSkipped;

/** The event-store stream of one schedule. */
export const scheduleStreamName = (scheduleId: string): string => `schedule-${scheduleId}`;

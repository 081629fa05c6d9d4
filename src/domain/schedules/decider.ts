import { canonicalJson } from '../shared/canonical.ts';
import { changedPaths } from '../shared/changes.ts';
import { DomainError } from '../shared/errors.ts';
import type { DomainCommand } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { ScheduleEvent, ScheduleFired, ScheduleSkipped } from './events.ts';
import type { ScheduleManifest } from './manifest.ts';

/** Create the schedule, or update it; nothing happens when the manifest is unchanged. */
export type ApplySchedule = DomainCommand<'ApplySchedule', { manifest: ScheduleManifest }>;
/** Remove the schedule. */
export type DeleteSchedule = DomainCommand<'DeleteSchedule', { schedule_id: string }>;
/** Turn the schedule on. */
export type EnableSchedule = DomainCommand<'EnableSchedule', { schedule_id: string }>;
/** Turn the schedule off. */
export type DisableSchedule = DomainCommand<'DisableSchedule', { schedule_id: string }>;
/** Record a fired slot (the scheduler). */
export type FireSchedule = DomainCommand<'FireSchedule', ScheduleFired['data']>;
/** Record slots that did not fire (the scheduler). */
export type SkipSlots = DomainCommand<'SkipSlots', ScheduleSkipped['data']>;
/** Every command of the schedule aggregate. */
export type ScheduleCommand =
  | ApplySchedule
  | DeleteSchedule
  | EnableSchedule
  | DisableSchedule
  | FireSchedule
  | SkipSlots;

/** What is known of one schedule id. `lastSlot` survives a delete, so a re-created schedule never re-fires a slot. */
export type ScheduleState = Readonly<
  | { status: 'absent' | 'deleted'; lastSlot: string | undefined }
  | { status: 'active'; manifest: ScheduleManifest; enabled: boolean; lastSlot: string | undefined }
>;

/** The schedule id is unknown (never created, or deleted). */
export class ScheduleNotFound extends DomainError {
  readonly code = 'schedule-not-found';
  constructor(scheduleId: string) {
    super(`schedule ${scheduleId} does not exist`);
    this.name = 'ScheduleNotFound';
  }
}

const initialState = (): ScheduleState => ({ status: 'absent', lastSlot: undefined });

const evolve = (state: ScheduleState, event: ScheduleEvent): ScheduleState => {
  switch (event.type) {
    case 'ScheduleCreated':
      return {
        status: 'active',
        manifest: event.data.manifest,
        enabled: event.data.manifest.enabled,
        lastSlot: state.lastSlot,
      };
    case 'ScheduleUpdated': {
      if (state.status !== 'active') return state;
      const enabled = event.data.changed.includes('enabled') ? event.data.manifest.enabled : state.enabled;
      return { ...state, manifest: event.data.manifest, enabled };
    }
    case 'ScheduleDeleted':
      return { status: 'deleted', lastSlot: state.lastSlot };
    case 'ScheduleEnabled':
    case 'ScheduleDisabled':
      return state.status === 'active' ? { ...state, enabled: event.type === 'ScheduleEnabled' } : state;
    case 'ScheduleFired':
      return { ...state, lastSlot: event.data.slot };
    case 'ScheduleSkipped':
      return { ...state, lastSlot: event.data.to };
    default:
      return unreachable(event);
  }
};

const active = (id: string, state: ScheduleState) => {
  if (state.status !== 'active') throw new ScheduleNotFound(id);
  return state;
};

// Slots are ISO UTC times of one format, so they compare as strings.
const isNew = (state: ScheduleState, slot: string) => state.lastSlot === undefined || slot > state.lastSlot;

const decide = (command: ScheduleCommand, state: ScheduleState): ScheduleEvent[] => {
  switch (command.type) {
    case 'ApplySchedule': {
      const { manifest } = command.data;
      const schedule_id = manifest.id;
      if (state.status !== 'active') return [{ type: 'ScheduleCreated', data: { schedule_id, manifest } }];
      if (canonicalJson(state.manifest) === canonicalJson(manifest)) return [];
      const changed = changedPaths(state.manifest, manifest);
      return [{ type: 'ScheduleUpdated', data: { schedule_id, manifest, changed } }];
    }
    case 'DeleteSchedule':
      active(command.data.schedule_id, state);
      return [{ type: 'ScheduleDeleted', data: command.data }];
    case 'EnableSchedule':
      return active(command.data.schedule_id, state).enabled ? [] : [{ type: 'ScheduleEnabled', data: command.data }];
    case 'DisableSchedule':
      return active(command.data.schedule_id, state).enabled ? [{ type: 'ScheduleDisabled', data: command.data }] : [];
    case 'FireSchedule':
      // A slot fires once, in order; a late or repeated fire is a no-op. The scheduler checks that the
      // schedule is on before it requests the slot's exec; a disable or delete that lands in between
      // still records the fire the exec belongs to.
      return state.status !== 'absent' && isNew(state, command.data.slot)
        ? [{ type: 'ScheduleFired', data: command.data }]
        : [];
    case 'SkipSlots':
      // A range starts after the last slot handled: it never covers a slot that fired.
      return state.status === 'active' && isNew(state, command.data.from) && isNew(state, command.data.to)
        ? [{ type: 'ScheduleSkipped', data: command.data }]
        : [];
    default:
      return unreachable(command);
  }
};

/** The schedule decider (Emmett's Decider shape). */
export const scheduleDecider = { decide, evolve, initialState };

import {
  type ScheduleCommand,
  type ScheduleEvent,
  type ScheduleManifest,
  type ScheduleState,
  scheduleDecider,
  scheduleStreamName,
} from '../../domain/schedules/index.ts';
import { type CatalogStatus, manifestCatalog } from '../catalog/manifestCatalog.ts';

const STATUS_OF: Record<ScheduleEvent['type'], CatalogStatus> = {
  ScheduleCreated: 'created',
  ScheduleUpdated: 'updated',
  ScheduleDeleted: 'deleted',
  ScheduleEnabled: 'enabled',
  ScheduleDisabled: 'disabled',
  ScheduleFired: 'fired',
  ScheduleSkipped: 'skipped',
};

const idOf = (command: ScheduleCommand): string =>
  command.type === 'ApplySchedule' ? command.data.manifest.id : command.data.schedule_id;

/** The schedules: apply manifests (created / updated / unchanged), delete, enable, disable. */
export const scheduleCatalog = manifestCatalog<ScheduleManifest, ScheduleCommand, ScheduleEvent, ScheduleState>({
  decider: scheduleDecider,
  streamName: scheduleStreamName,
  idOf,
  apply: (manifest) => ({ type: 'ApplySchedule', data: { manifest } }),
  delete: (schedule_id) => ({ type: 'DeleteSchedule', data: { schedule_id } }),
  describe: (command, events, seq) => {
    const first = events[0];
    if (first === undefined) return { id: idOf(command), status: 'unchanged', seq };
    const entry = { id: idOf(command), status: STATUS_OF[first.type], seq };
    return first.type === 'ScheduleUpdated' ? { ...entry, changed: first.data.changed } : entry;
  },
});

import type { ScheduleEvent, ScheduleManifest } from '../../domain/schedules/index.ts';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { del, type Projection, put, type RowChange, type RowOf, type RowReader } from '../projection.ts';

type Row = RowOf<'schedules'>;

/** Schedules (one row per live schedule) and every slot they fired or skipped (kept after a delete, for audit). */
export const schedulesProjection: Projection = {
  name: 'schedules',
  version: 2,
  apply: (event, rows) =>
    event.stream.startsWith('schedule-') ? applyScheduleEvent(event as RecordedEvent & ScheduleEvent, rows) : [],
};

const applyScheduleEvent = (event: RecordedEvent & ScheduleEvent, rows: RowReader): RowChange[] => {
  const current = rows.get('schedules', { schedule_id: event.data.schedule_id });
  // Updates the schedule's row, when it still exists (a fire may be recorded just after a delete).
  const update = (changes: (row: Row) => Partial<Row>): RowChange[] =>
    current === undefined ? [] : [put('schedules', { ...current, ...changes(current), seq: event.seq })];
  switch (event.type) {
    case 'ScheduleCreated':
      return [put('schedules', created(event.data.manifest, event))];
    case 'ScheduleDeleted':
      return [del('schedules', { schedule_id: event.data.schedule_id })];
    case 'ScheduleUpdated': {
      const { manifest, changed } = event.data;
      return update((row) => {
        const enabled = changed.includes('enabled') ? manifest.enabled : row.enabled === 1;
        return {
          ...manifestColumns(manifest),
          enabled: enabled ? 1 : 0,
          active_since: enabled && row.enabled === 0 ? event.at : row.active_since,
          updated_at: event.at,
          updated_by: event.actor,
        };
      });
    }
    case 'ScheduleEnabled':
      return update(() => ({ enabled: 1, active_since: event.at }));
    case 'ScheduleDisabled':
      return update(() => ({ enabled: 0 }));
    case 'ScheduleFired': {
      const { schedule_id, slot, exec_id, catch_up } = event.data;
      return [
        ...update((row) => ({ last_slot: slot, last_fired_slot: slot, last_exec_id: exec_id, fired: row.fired + 1 })),
        put('schedule_fires', {
          schedule_id,
          slot,
          kind: 'fired',
          exec_id,
          catch_up: catch_up === true ? 1 : 0,
          to_slot: slot,
          count: 1,
          reason: null,
          at: event.at,
          seq: event.seq,
        }),
      ];
    }
    case 'ScheduleSkipped': {
      const { schedule_id, from, to, count, reason } = event.data;
      return [
        ...update((row) => ({ last_slot: to, skipped: row.skipped + count, last_skip_reason: reason })),
        put('schedule_fires', {
          schedule_id,
          slot: from,
          kind: 'skipped',
          exec_id: null,
          catch_up: 0,
          to_slot: to,
          count,
          reason,
          at: event.at,
          seq: event.seq,
        }),
      ];
    }
    default:
      return [];
  }
};

const manifestColumns = (m: ScheduleManifest) => ({
  job_id: m.job_id,
  cron: m.cron,
  tz: m.tz,
  mode: m.mode,
  description: m.description ?? null,
  manifest: JSON.stringify(m),
});

const created = (m: ScheduleManifest, event: RecordedEvent): Row => ({
  schedule_id: m.id,
  ...manifestColumns(m),
  enabled: m.enabled ? 1 : 0,
  active_since: event.at,
  last_slot: null,
  last_fired_slot: null,
  last_exec_id: null,
  fired: 0,
  skipped: 0,
  last_skip_reason: null,
  created_at: event.at,
  created_by: event.actor,
  updated_at: event.at,
  updated_by: event.actor,
  seq: event.seq,
});

import { describe, expect, it } from 'vitest';
import type { ScheduleManifest } from '../../domain/schedules/index.ts';
import { project, recorded } from '../../testing/projectionSpec.ts';
import { schedulesProjection } from './schedulesProjection.ts';

const manifest: ScheduleManifest = {
  id: 'tick',
  cron: '*/5 * * * * *',
  tz: 'UTC',
  job_id: 'hello',
  target: { all: true },
  mode: 'every_tick',
  enabled: true,
};
const on = (type: string, data: Record<string, unknown> = {}) =>
  recorded('schedule-tick', type, { schedule_id: 'tick', ...data });

describe('schedules projection', () => {
  it('counts fired and skipped slots and keeps each one', async () => {
    const db = await project(
      [schedulesProjection],
      [
        on('ScheduleCreated', { manifest }),
        on('ScheduleSkipped', {
          from: '2026-11-22T10:00:00.000Z',
          to: '2026-11-22T10:00:10.000Z',
          count: 3,
          reason: 'missed',
        }),
        on('ScheduleFired', { slot: '2026-11-22T10:00:15.000Z', exec_id: 'E1', catch_up: true }),
      ],
    );
    expect(db.prepare('SELECT last_slot, last_fired_slot, last_exec_id, fired, skipped FROM schedules').get()).toEqual({
      last_slot: '2026-11-22T10:00:15.000Z',
      last_fired_slot: '2026-11-22T10:00:15.000Z',
      last_exec_id: 'E1',
      fired: 1,
      skipped: 3,
    });
    expect(db.prepare('SELECT slot, kind, count, catch_up FROM schedule_fires ORDER BY slot').all()).toEqual([
      { slot: '2026-11-22T10:00:00.000Z', kind: 'skipped', count: 3, catch_up: 0 },
      { slot: '2026-11-22T10:00:15.000Z', kind: 'fired', count: 1, catch_up: 1 },
    ]);
  });

  it('moves active_since when a schedule is turned on, not when it is edited', async () => {
    const created = on('ScheduleCreated', { manifest });
    const disabled = on('ScheduleDisabled');
    const edited = on('ScheduleUpdated', { manifest: { ...manifest, cron: '0 * * * * *' }, changed: ['cron'] });
    const enabled = on('ScheduleEnabled');
    const db = await project([schedulesProjection], [created, disabled, edited]);
    expect(db.prepare('SELECT enabled, cron, active_since FROM schedules').get()).toEqual({
      enabled: 0,
      cron: '0 * * * * *',
      active_since: created.at,
    });
    const again = await project([schedulesProjection], [created, disabled, edited, enabled]);
    expect(again.prepare('SELECT enabled, active_since FROM schedules').get()).toEqual({
      enabled: 1,
      active_since: enabled.at,
    });
  });

  it('forgets a deleted schedule but keeps its slots for the audit', async () => {
    const db = await project(
      [schedulesProjection],
      [
        on('ScheduleCreated', { manifest }),
        on('ScheduleFired', { slot: '2026-11-22T10:00:15.000Z', exec_id: 'E1' }),
        on('ScheduleDeleted'),
      ],
    );
    expect(db.prepare('SELECT count(*) AS n FROM schedules').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM schedule_fires').get()).toEqual({ n: 1 });
  });
});

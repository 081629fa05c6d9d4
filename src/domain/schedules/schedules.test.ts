import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, expect, it } from 'vitest';
import { ScheduleNotFound, scheduleDecider } from './decider.ts';
import type { ScheduleEvent } from './events.ts';
import type { ScheduleManifest } from './manifest.ts';
import { chooseFire } from './modes.ts';
import { planSlots } from './slots.ts';

const given = DeciderSpecification.for(scheduleDecider);
const manifest: ScheduleManifest = {
  id: 'nightly',
  cron: '0 3 * * *',
  tz: 'UTC',
  job_id: 'cleanup',
  target: { all: true },
  mode: 'every_tick',
  enabled: true,
};
const created: ScheduleEvent = { type: 'ScheduleCreated', data: { schedule_id: 'nightly', manifest } };
const fired = (slot: string): ScheduleEvent => ({
  type: 'ScheduleFired',
  data: { schedule_id: 'nightly', slot, exec_id: `x-${slot}` },
});
const fire = (slot: string) => ({
  type: 'FireSchedule' as const,
  data: { schedule_id: 'nightly', slot, exec_id: `x-${slot}` },
});

describe('schedule decider', () => {
  it('creates, leaves an unchanged manifest alone, and updates with the changed paths', () => {
    given([]).when({ type: 'ApplySchedule', data: { manifest } }).then([created]);
    given([created]).when({ type: 'ApplySchedule', data: { manifest } }).thenNothingHappened();
    const changed = { ...manifest, cron: '0 4 * * *', target: { groups: ['lab'] } };
    given([created])
      .when({ type: 'ApplySchedule', data: { manifest: changed } })
      .then([
        {
          type: 'ScheduleUpdated',
          data: { schedule_id: 'nightly', manifest: changed, changed: ['cron', 'target.all', 'target.groups'] },
        },
      ]);
  });

  it('fires each slot once, in order', () => {
    given([created])
      .when(fire('2026-11-22T03:00:00.000Z'))
      .then([fired('2026-11-22T03:00:00.000Z')]);
    given([created, fired('2026-11-22T03:00:00.000Z')])
      .when(fire('2026-11-22T03:00:00.000Z'))
      .thenNothingHappened();
    given([created, fired('2026-11-23T03:00:00.000Z')])
      .when(fire('2026-11-22T03:00:00.000Z'))
      .thenNothingHappened();
  });

  it('never re-fires an old slot, even after a delete and a re-create', () => {
    const deleted: ScheduleEvent = { type: 'ScheduleDeleted', data: { schedule_id: 'nightly' } };
    given([created, fired('2026-11-22T03:00:00.000Z'), deleted, created])
      .when(fire('2026-11-22T03:00:00.000Z'))
      .thenNothingHappened();
    given([]).when(fire('2026-11-22T03:00:00.000Z')).thenNothingHappened();
  });

  it('records a skipped range only after the last slot handled', () => {
    const skip = (from: string, to: string) => ({
      type: 'SkipSlots' as const,
      data: { schedule_id: 'nightly', from, to, count: 2, reason: 'missed' },
    });
    given([created, fired('2026-11-23T03:00:00.000Z')])
      .when(skip('2026-11-22T03:00:00.000Z', '2026-11-24T03:00:00.000Z'))
      .thenNothingHappened();
    given([created, fired('2026-11-23T03:00:00.000Z')])
      .when(skip('2026-11-24T03:00:00.000Z', '2026-11-25T03:00:00.000Z'))
      .then([{ type: 'ScheduleSkipped', data: skip('2026-11-24T03:00:00.000Z', '2026-11-25T03:00:00.000Z').data }]);
  });

  it('records a fire that raced a disable (its exec exists), but the scheduler sees the schedule is off', () => {
    const disabled: ScheduleEvent = { type: 'ScheduleDisabled', data: { schedule_id: 'nightly' } };
    given([created, disabled])
      .when(fire('2026-11-22T03:00:00.000Z'))
      .then([fired('2026-11-22T03:00:00.000Z')]);
  });

  it('enables and disables only when it changes something; unknown schedules are 404s', () => {
    given([created])
      .when({ type: 'EnableSchedule', data: { schedule_id: 'nightly' } })
      .thenNothingHappened();
    given([created])
      .when({ type: 'DisableSchedule', data: { schedule_id: 'nightly' } })
      .then([{ type: 'ScheduleDisabled', data: { schedule_id: 'nightly' } }]);
    given([])
      .when({ type: 'DeleteSchedule', data: { schedule_id: 'nightly' } })
      .thenThrows((e) => e instanceof ScheduleNotFound);
  });

  it('keeps an operator’s disable when an unchanged-enabled manifest is updated', () => {
    const disabled: ScheduleEvent = { type: 'ScheduleDisabled', data: { schedule_id: 'nightly' } };
    const changed = { ...manifest, cron: '0 4 * * *' };
    const updated: ScheduleEvent = {
      type: 'ScheduleUpdated',
      data: { schedule_id: 'nightly', manifest: changed, changed: ['cron'] },
    };
    given([created, disabled, updated])
      .when({ type: 'EnableSchedule', data: { schedule_id: 'nightly' } })
      .then([{ type: 'ScheduleEnabled', data: { schedule_id: 'nightly' } }]);
  });
});

describe('chooseFire', () => {
  const history = {
    lastSuccess: new Map([
      ['a', '2026-11-20T00:00:00.000Z'],
      ['b', '2026-11-22T09:00:00.000Z'],
    ]),
    running: new Set(['c']),
    pending: new Set(['e']),
  };
  const now = '2026-11-22T10:00:00.000Z';
  const online = (...pcs: string[]) => ({ runnable: pcs, members: pcs });

  it('fires the plan every tick', () =>
    expect(chooseFire('every_tick', online('a'), history, now, undefined)).toEqual({ fire: 'plan' }));

  it('once_per_pc: PCs without a success (within the cooldown), not running it or sent it already', () => {
    const all = online('a', 'b', 'c', 'd', 'e');
    expect(chooseFire('once_per_pc', all, history, now, undefined)).toEqual({ fire: 'pcs', pcs: ['d'] });
    expect(chooseFire('once_per_pc', all, history, now, 86_400)).toEqual({ fire: 'pcs', pcs: ['a', 'd'] });
    expect(chooseFire('once_per_pc', online('a', 'b'), history, now, undefined)).toMatchObject({ fire: 'none' });
  });

  it('once_per_target: the whole plan until any member succeeded, offline ones included, and not while it runs', () => {
    expect(chooseFire('once_per_target', online('d'), history, now, undefined)).toEqual({ fire: 'plan' });
    expect(chooseFire('once_per_target', { runnable: ['d'], members: ['a', 'd'] }, history, now, undefined)).toEqual({
      fire: 'none',
      reason: 'a in the target has succeeded',
    });
    expect(chooseFire('once_per_target', online('a', 'd'), history, now, 3_600)).toEqual({ fire: 'plan' });
    expect(chooseFire('once_per_target', online('c', 'd'), history, now, undefined)).toMatchObject({
      fire: 'none',
      reason: expect.stringMatching(/still running or on its way to c/),
    });
  });
});

describe('planSlots', () => {
  const now = '2026-11-22T10:00:00.000Z';

  it('fires on-time slots and records the older ones as one skipped range', () => {
    const plan = planSlots(
      { first: '2026-11-22T09:55:00.000Z', count: 6, recent: ['2026-11-22T09:59:00.000Z', '2026-11-22T10:00:00.000Z'] },
      now,
      undefined,
    );
    expect(plan).toEqual({
      fire: [{ slot: '2026-11-22T10:00:00.000Z', catchUp: false }],
      skip: { from: '2026-11-22T09:55:00.000Z', to: '2026-11-22T09:59:00.000Z', count: 5 },
    });
  });

  it('catches up the newest missed slot within the starting deadline', () => {
    const due = {
      first: '2026-11-22T09:40:00.000Z',
      count: 3,
      recent: ['2026-11-22T09:50:00.000Z', '2026-11-22T09:55:00.000Z'],
    };
    expect(planSlots(due, now, 600)).toEqual({
      fire: [{ slot: '2026-11-22T09:55:00.000Z', catchUp: true }],
      skip: { from: '2026-11-22T09:40:00.000Z', to: '2026-11-22T09:50:00.000Z', count: 2 },
    });
    expect(planSlots(due, now, 60)).toEqual({
      fire: [],
      skip: { from: '2026-11-22T09:40:00.000Z', to: '2026-11-22T09:55:00.000Z', count: 3 },
    });
  });

  it('fires what fell due while this scheduler was running, however late (a busy tick is not a miss)', () => {
    const due = {
      first: '2026-11-22T09:59:30.000Z',
      count: 2,
      recent: ['2026-11-22T09:59:30.000Z', '2026-11-22T09:59:40.000Z'],
    };
    expect(planSlots(due, now, undefined, '2026-11-22T09:00:00.000Z').fire.map((f) => f.slot)).toEqual(due.recent);
    expect(planSlots(due, now, undefined, '2026-11-22T09:59:35.000Z')).toEqual({
      fire: [{ slot: '2026-11-22T09:59:40.000Z', catchUp: false }],
      skip: { from: '2026-11-22T09:59:30.000Z', to: '2026-11-22T09:59:30.000Z', count: 1 },
    });
  });

  it('ends the skipped range at the slot before a catch-up', () => {
    const due = {
      first: '2026-11-22T09:51:00.000Z',
      count: 3,
      recent: ['2026-11-22T09:52:00.000Z', '2026-11-22T09:53:00.000Z'],
    };
    expect(planSlots(due, now, 3_600)).toEqual({
      fire: [{ slot: '2026-11-22T09:53:00.000Z', catchUp: true }],
      skip: { from: '2026-11-22T09:51:00.000Z', to: '2026-11-22T09:52:00.000Z', count: 2 },
    });
  });

  it('fires every slot of a slow tick', () => {
    const due = {
      first: '2026-11-22T09:59:58.000Z',
      count: 2,
      recent: ['2026-11-22T09:59:58.000Z', '2026-11-22T10:00:00.000Z'],
    };
    expect(planSlots(due, now, undefined).fire.map((f) => f.slot)).toEqual(due.recent);
  });
});

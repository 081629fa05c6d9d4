import { describe, expect, it } from 'vitest';
import { cronProblem, dueSlots, nextSlots } from './cron.ts';
import { parseSchedulesYaml } from './scheduleManifests.ts';

describe('schedule manifests', () => {
  it('fills defaults, normalizes durations and targets', () => {
    const parsed = parseSchedulesYaml(`
id: nightly
cron: "0 3 * * *"
job_id: cleanup
target: { groups: [lab, canary, lab] }
starting_deadline: 1800s
`);
    expect(parsed).toEqual({
      ok: true,
      value: [
        {
          id: 'nightly',
          cron: '0 3 * * *',
          tz: 'UTC',
          job_id: 'cleanup',
          target: { groups: ['canary', 'lab'] },
          mode: 'every_tick',
          starting_deadline: '30m',
          enabled: true,
        },
      ],
    });
  });

  it('reports every problem with its path, line and column', () => {
    const parsed = parseSchedulesYaml(`id: bad
cron: "61 * * * *"
tz: Mars/Olympus
job_id: cleanup
mode: every_tick
cooldown: 1d
runs_on: agent
`);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'tz',
          line: 3,
          message: expect.stringMatching(/not a known time zone/),
        }),
        expect.objectContaining({ path: 'runs_on', line: 7, message: 'unknown key' }),
      ]),
    );
    // Cross-field rules run once the fields themselves are valid.
    const fixed = parseSchedulesYaml(`id: bad
cron: "61 * * * *"
job_id: cleanup
cooldown: 1d
rollout: { waves: [{ group: canary }] }
mode: once_per_pc
`);
    expect(fixed.ok).toBe(false);
    if (fixed.ok) return;
    expect(fixed.issues.map((i) => [i.path, i.line])).toEqual(
      expect.arrayContaining([
        ['cron', 2],
        ['rollout', 5],
      ]),
    );
    expect(fixed.issues.find((i) => i.path === 'cron')?.message).toMatch(/expected range 0-59/);
  });

  it('takes a where selector, alone or within a target, and refuses a bad one on its line', () => {
    const ok = parseSchedulesYaml('id: s\ncron: "0 3 * * *"\njob_id: j\nwhere: os.family == "linux"\n');
    expect(ok.ok && ok.value[0]?.where).toBe('os.family == "linux"');
    const bad = parseSchedulesYaml('id: s\ncron: "0 3 * * *"\njob_id: j\nwhere: os.family = "linux"\n');
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues).toEqual([
        expect.objectContaining({
          path: 'where',
          line: 4,
          message: expect.stringMatching(/did you mean ==.*at column 11 of the selector/),
        }),
      ]);
  });

  it('takes a wave chosen by a selector, next to group waves', () => {
    const parsed = parseSchedulesYaml(`id: s
cron: "0 3 * * *"
job_id: j
rollout:
  waves:
    - { where: 'os.family == "linux" and "lab" in groups', delay: 0s }
    - { group: canary, delay: 10m }
`);
    expect(parsed.ok && parsed.value[0]?.rollout).toEqual({
      strategy: 'wave',
      waves: [
        { where: 'os.family == "linux" and "lab" in groups', delay: '0s' },
        { group: 'canary', delay: '10m' },
      ],
    });
  });

  it('refuses a wave with both a group and a selector, with neither, or with a bad selector, at its path', () => {
    const parsed = parseSchedulesYaml(`id: s
cron: "0 3 * * *"
job_id: j
rollout:
  waves:
    - { group: canary, where: 'os.family == "linux"' }
    - { delay: 5m }
    - { where: 'os.family = "linux"', delay: 10m }
`);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues).toEqual([
      expect.objectContaining({
        path: 'rollout.waves[0]',
        line: 6,
        message: 'name a group or a where selector, not both (a wave is one or the other)',
      }),
      expect.objectContaining({
        path: 'rollout.waves[1]',
        line: 7,
        message: 'name the group of the wave, or a where selector choosing its PCs',
      }),
      expect.objectContaining({
        path: 'rollout.waves[2].where',
        line: 8,
        message: expect.stringMatching(/did you mean ==.*at column 11 of the selector/),
      }),
    ]);
  });

  it('refuses two waves with one selector, however it is written', () => {
    const parsed = parseSchedulesYaml(`id: s
cron: "0 3 * * *"
job_id: j
rollout:
  waves:
    - { where: '"lab" in groups', delay: 0s }
    - { where: 'groups contains "lab"', delay: 5m }
`);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.issues.map((i) => [i.path, i.message])).toEqual([
        ['rollout.waves', 'must name each group (and each selector) once (a PC runs in the first wave that names it)'],
      ]);
  });

  it('rejects crons that are not 5 or 6 fields, and a schedule with nobody to run on', () => {
    const parsed = parseSchedulesYaml('id: x\ncron: "* * *"\njob_id: j\n');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((i) => i.message)).toEqual(
      expect.arrayContaining([
        'must have 5 fields (minute hour day month weekday) or 6 (with seconds first), not 3',
        'name a target, a rollout, a where selector, or both',
      ]),
    );
  });
});

describe('cron slots', () => {
  it('reads 6-field crons with seconds, in the schedule’s time zone', () => {
    expect(nextSlots('*/20 * * * * *', 'UTC', new Date('2026-11-22T10:00:00.000Z'), 3)).toEqual([
      '2026-11-22T10:00:20.000Z',
      '2026-11-22T10:00:40.000Z',
      '2026-11-22T10:01:00.000Z',
    ]);
    expect(nextSlots('0 3 * * *', 'Europe/Berlin', new Date('2026-11-22T10:00:00.000Z'), 1)).toEqual([
      '2026-11-23T02:00:00.000Z',
    ]);
  });

  it('finds the due slots: first, count, and the recent ones', () => {
    const due = dueSlots(
      '*/10 * * * * *',
      'UTC',
      new Date('2026-11-22T10:00:00.000Z'),
      new Date('2026-11-22T10:01:05.000Z'),
      new Date('2026-11-22T10:00:40.000Z'),
    );
    expect(due).toEqual({
      first: '2026-11-22T10:00:10.000Z',
      count: 6,
      recent: [
        '2026-11-22T10:00:20.000Z',
        '2026-11-22T10:00:30.000Z',
        '2026-11-22T10:00:40.000Z',
        '2026-11-22T10:00:50.000Z',
        '2026-11-22T10:01:00.000Z',
      ],
    });
    expect(
      dueSlots(
        '0 3 * * *',
        'UTC',
        new Date('2026-11-22T10:00:00.000Z'),
        new Date('2026-11-22T11:00:00.000Z'),
        new Date('2026-11-22T10:59:00.000Z'),
      ),
    ).toBe(undefined);
  });

  it('keeps a slot that a daylight-saving change moved (02:30 on a spring-forward day runs at 03:30)', () => {
    const due = dueSlots(
      '30 2 * * *',
      'Europe/Berlin',
      new Date('2026-03-28T12:00:00.000Z'),
      new Date('2026-03-29T12:00:00.000Z'),
      new Date('2026-03-29T11:59:55.000Z'),
    );
    expect(due).toEqual({ first: '2026-03-29T01:30:00.000Z', count: 1, recent: ['2026-03-29T01:30:00.000Z'] });
  });

  it('refuses hashed (H) values, whose slots cron-parser picks at random', () => {
    expect(cronProblem('H * * * *')).toMatch(/H \(hashed\) values are not supported/);
    expect(cronProblem('0 9 * * MON-THU')).toBe(undefined);
  });
});

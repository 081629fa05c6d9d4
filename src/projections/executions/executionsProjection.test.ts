import { describe, expect, it } from 'vitest';
import { buildCommand } from '../../domain/execs/index.ts';
import { aManifest } from '../../testing/manifests.ts';
import { project, recorded } from '../../testing/projectionSpec.ts';
import { executionsProjection } from './executionsProjection.ts';

const command = buildCommand(aManifest(), { exec_id: 'e1', request_id: 'r1' });
const requested = () =>
  recorded('exec-e1', 'ExecRequested', {
    exec_id: 'e1',
    kind: 'job',
    job_id: 'echo',
    version: '1.0.0',
    request_id: 'r1',
    target: { all: true },
    pcs: ['a', 'b'],
    target_count: 2,
    command,
  });
const id = (pc: string) => ({
  result_id: `res-${pc}`,
  exec_id: 'e1',
  request_id: 'r1',
  job_id: 'echo',
  version: '1.0.0',
  pc_id: pc,
});
const started = (pc: string) =>
  recorded(`run-res-${pc}`, 'RunStarted', { ...id(pc), started_at: '2026-11-22T10:00:00.000Z' });
const finished = (pc: string, outcome: string, exit_code: number) =>
  recorded(`run-res-${pc}`, 'RunFinished', {
    ...id(pc),
    started_at: null,
    finished_at: '2026-11-22T10:01:00.000Z',
    exit_code,
    outcome,
    stdout: `${pc} out`,
    stderr: '',
  });

const execRow = (db: Awaited<ReturnType<typeof project>>) =>
  db.prepare('SELECT status, target_count, started, running, succeeded, failed, skipped FROM executions').get();

describe('executions projection', () => {
  it('counts a run from started to finished', async () => {
    const db = await project([executionsProjection], [requested(), started('a')]);
    expect(execRow(db)).toEqual({
      status: 'running',
      target_count: 2,
      started: 1,
      running: 1,
      succeeded: 0,
      failed: 0,
      skipped: 0,
    });
    const more = await project(
      [executionsProjection],
      [requested(), started('a'), finished('a', 'succeeded', 0), finished('b', 'skipped', 126)],
    );
    expect(execRow(more)).toEqual({
      status: 'completed',
      target_count: 2,
      started: 1,
      running: 0,
      succeeded: 1,
      failed: 0,
      skipped: 1,
    });
  });

  it('never counts a repeated event twice, in one batch or across batches', async () => {
    const db = await project(
      [executionsProjection],
      [requested(), started('a'), started('a'), finished('a', 'failed', 3)],
      [finished('a', 'failed', 3), started('a')],
    );
    expect(execRow(db)).toMatchObject({ started: 1, running: 0, failed: 1, status: 'running' });
    expect(db.prepare('SELECT count(*) AS n FROM results').get()).toEqual({ n: 1 });
  });

  it('keeps the result of a run that finished without starting (a gate refused it)', async () => {
    const db = await project([executionsProjection], [requested(), finished('b', 'skipped', 125)]);
    expect(db.prepare('SELECT pc_id, exit_code, outcome, started_at, stdout FROM results').get()).toEqual({
      pc_id: 'b',
      exit_code: 125,
      outcome: 'skipped',
      started_at: null,
      stdout: 'b out',
    });
    expect(execRow(db)).toMatchObject({ running: 0, skipped: 1, status: 'running' });
  });

  it('counts a reaped run as lost, and lets a late real result replace it', async () => {
    const reap = recorded('run-res-a', 'RunReaped', { ...id('a'), reason: 'no result' });
    const db = await project([executionsProjection], [requested(), started('a'), reap]);
    expect(execRow(db)).toMatchObject({ running: 0, failed: 1 });
    expect(db.prepare('SELECT outcome, exit_code, reaped FROM results').get()).toEqual({
      outcome: 'lost',
      exit_code: -1,
      reaped: 1,
    });
    const late = await project(
      [executionsProjection],
      [requested(), started('a'), reap],
      [finished('a', 'succeeded', 0)],
    );
    expect(execRow(late)).toMatchObject({ running: 0, failed: 0, succeeded: 1 });
    expect(late.prepare('SELECT outcome, reaped FROM results').get()).toEqual({ outcome: 'succeeded', reaped: 0 });
  });

  it('keeps a completed exec completed when a kill comes after', async () => {
    const db = await project(
      [executionsProjection],
      [
        requested(),
        finished('a', 'succeeded', 0),
        finished('b', 'succeeded', 0),
        recorded('exec-e1', 'KillRequested', { exec_id: 'e1' }),
      ],
    );
    expect(execRow(db)).toMatchObject({ status: 'completed' });
  });

  it('marks a killed exec killed for good', async () => {
    const db = await project(
      [executionsProjection],
      [
        requested(),
        started('a'),
        recorded('exec-e1', 'KillRequested', { exec_id: 'e1' }),
        finished('a', 'killed', -1),
        finished('b', 'succeeded', 0),
      ],
    );
    expect(execRow(db)).toMatchObject({ status: 'killed', failed: 1, succeeded: 1, running: 0 });
  });

  it('keeps result and outcome counts as results arrive, equal to counting the results', async () => {
    const reap = recorded('run-res-a', 'RunReaped', { ...id('a'), reason: 'no result' });
    const history = [
      [requested(), started('a'), reap, started('b'), finished('b', 'timed_out', -1)],
      [finished('a', 'succeeded', 0), finished('b', 'failed', 1), finished('c', 'killed', -1), started('d')],
      [started('e'), reap, finished('e', 'lost', -1), finished('f', 'failed', 2), finished('g', 'skipped', 126)],
    ];
    // Every split of the history into batches gives the same counters.
    for (const batches of [history, [history.flat()], history.flat().map((e) => [e])]) {
      const db = await project([executionsProjection], ...batches);
      const counted = Object.fromEntries(
        (
          db.prepare('SELECT outcome, count(*) AS n FROM results GROUP BY outcome').all() as {
            outcome: string | null;
            n: number;
          }[]
        ).map((r) => [r.outcome ?? 'running', r.n]),
      );
      expect(counted).toEqual({ running: 1, succeeded: 1, timed_out: 1, killed: 1, lost: 1, failed: 1, skipped: 1 });
      const row = db
        .prepare('SELECT result_count, running, succeeded, failed, skipped, timed_out, killed, lost FROM executions')
        .get();
      expect(row).toEqual({
        result_count: 7,
        running: 1,
        succeeded: 1,
        failed: 4, // timed_out, killed, lost and the plain failure
        skipped: 1,
        timed_out: 1,
        killed: 1,
        lost: 1,
      });
    }
  });
});

describe('executions projection, rollouts', () => {
  const waved = () =>
    recorded('exec-e1', 'ExecRequested', {
      exec_id: 'e1',
      kind: 'job',
      job_id: 'echo',
      version: '1.0.0',
      request_id: 'r1',
      target: { groups: ['canary', 'wave1'] },
      pcs: ['a', 'b'],
      target_count: 2,
      command,
      rollout: {
        waves: [
          { group: 'canary', delay_secs: 0, pcs: ['a'], target_count: 1 },
          { group: 'wave1', delay_secs: 600, pcs: ['b'], target_count: 1 },
        ],
        gate: { max_failure_ratio: 0 },
      },
    });
  const scheduled = (wave: number, group: string, due_at: string) =>
    recorded('exec-e1', 'WaveScheduled', { exec_id: 'e1', wave, group, target_count: 1, due_at });
  const history = () => [
    waved(),
    scheduled(0, 'canary', '2026-11-22T10:00:00.000Z'),
    scheduled(1, 'wave1', '2026-11-22T10:10:00.000Z'),
    recorded('exec-e1', 'WaveDispatched', { exec_id: 'e1', wave: 0 }),
  ];
  const rolloutOf = (db: Awaited<ReturnType<typeof project>>) =>
    db.prepare('SELECT rollout FROM executions').pluck().get() as string;
  const waves = (db: Awaited<ReturnType<typeof project>>) =>
    db.prepare('SELECT wave, status, gate_waived, halted_reason, started, succeeded, failed FROM exec_waves').all();

  it('counts each result in its own wave', async () => {
    const db = await project([executionsProjection], [...history(), started('a'), finished('a', 'failed', 1)]);
    expect(waves(db)).toEqual([
      { wave: 0, status: 'dispatched', gate_waived: 0, halted_reason: null, started: 1, succeeded: 0, failed: 1 },
      { wave: 1, status: 'scheduled', gate_waived: 0, halted_reason: null, started: 0, succeeded: 0, failed: 0 },
    ]);
    expect(execRow(db)).toMatchObject({ status: 'running', failed: 1, target_count: 2 });
  });

  it('shows a halt, a resume that waives the gate, and the wave going out', async () => {
    const halted = recorded('exec-e1', 'ExecHalted', { exec_id: 'e1', wave: 1, reason: 'too many failures' });
    const db = await project([executionsProjection], [...history(), finished('a', 'failed', 1), halted]);
    expect(execRow(db)).toMatchObject({ status: 'halted' });
    expect(waves(db)[1]).toMatchObject({ status: 'halted', halted_reason: 'too many failures' });
    const resumed = await project(
      [executionsProjection],
      [...history(), finished('a', 'failed', 1), halted],
      [
        recorded('exec-e1', 'ExecResumed', { exec_id: 'e1', wave: 1 }),
        recorded('exec-e1', 'WaveDispatched', { exec_id: 'e1', wave: 1 }),
        finished('b', 'succeeded', 0),
      ],
    );
    expect(execRow(resumed)).toMatchObject({ status: 'completed', succeeded: 1, failed: 1 });
    expect(waves(resumed)[1]).toMatchObject({ status: 'dispatched', gate_waived: 1, succeeded: 1 });
  });

  it('keeps the selector of a wave a selector chose, and old group waves as they were', async () => {
    const where = { selector: 'os.family == "linux"' };
    const bySelector = recorded('exec-e1', 'ExecRequested', {
      ...waved().data,
      target: { groups: ['wave1'], pcs: ['a'] },
      rollout: {
        waves: [
          { where, delay_secs: 0, pcs: ['a'], target_count: 1 },
          { group: 'wave1', delay_secs: 600, pcs: ['b'], target_count: 1 },
        ],
      },
    });
    const db = await project(
      [executionsProjection],
      [
        bySelector,
        recorded('exec-e1', 'WaveScheduled', {
          exec_id: 'e1',
          wave: 0,
          where,
          target_count: 1,
          due_at: '2026-11-22T10:00:00.000Z',
        }),
        scheduled(1, 'wave1', '2026-11-22T10:10:00.000Z'),
      ],
    );
    expect(db.prepare('SELECT wave, group_name, selector FROM exec_waves ORDER BY wave').all()).toEqual([
      { wave: 0, group_name: null, selector: 'os.family == "linux"' },
      { wave: 1, group_name: 'wave1', selector: null },
    ]);
    expect(JSON.parse(rolloutOf(db))).toEqual({
      waves: [
        { where, delay_secs: 0, target_count: 1 },
        { group: 'wave1', delay_secs: 600, target_count: 1 },
      ],
    });
    const old = await project([executionsProjection], history());
    expect(rolloutOf(old)).toBe(
      '{"waves":[{"group":"canary","delay_secs":0,"target_count":1},{"group":"wave1","delay_secs":600,"target_count":1}],"gate":{"max_failure_ratio":0}}',
    );
    expect(old.prepare('SELECT group_name, selector FROM exec_waves ORDER BY wave').all()).toEqual([
      { group_name: 'canary', selector: null },
      { group_name: 'wave1', selector: null },
    ]);
  });

  it('cancels the waves left when the rollout is aborted', async () => {
    const db = await project(
      [executionsProjection],
      [...history(), recorded('exec-e1', 'ExecAborted', { exec_id: 'e1', reason: 'enough' })],
    );
    expect(execRow(db)).toMatchObject({ status: 'aborted' });
    expect(waves(db).map((w) => (w as { status: string }).status)).toEqual(['dispatched', 'cancelled']);
    expect(db.prepare('SELECT aborted_by, abort_reason FROM executions').get()).toEqual({
      aborted_by: 'tester',
      abort_reason: 'enough',
    });
  });
});

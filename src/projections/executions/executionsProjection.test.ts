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
});

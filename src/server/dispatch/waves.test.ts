import { afterEach, describe, expect, it } from 'vitest';
import { buildCommand } from '../../domain/execs/index.ts';
import { createBatchWriter } from '../../projections/batchWriter.ts';
import { closeReadModelDatabase, openReadModelDatabase, type ReadModelDatabase } from '../../projections/database.ts';
import { PROJECTIONS } from '../../projections/index.ts';
import { aManifest } from '../../testing/manifests.ts';
import { recorded } from '../../testing/projectionSpec.ts';
import { dueWaves, nextDueAt } from './waves.ts';

const command = buildCommand(aManifest(), { exec_id: 'e1', request_id: 'r1' });
const at = (min: number) => `2026-11-22T10:${String(min).padStart(2, '0')}:00.000Z`;
// A three-wave rollout of three PCs, due at 10:00, 10:10 and 10:20.
const rollout = () => [
  recorded('exec-e1', 'ExecRequested', {
    exec_id: 'e1',
    kind: 'job',
    job_id: 'echo',
    version: '1.0.0',
    request_id: 'r1',
    target: { groups: ['a', 'b', 'c'] },
    pcs: ['pa', 'pb', 'pc'],
    target_count: 3,
    command,
    rollout: {
      waves: ['a', 'b', 'c'].map((group, i) => ({ group, delay_secs: i * 600, pcs: [`p${group}`], target_count: 1 })),
      gate: { max_failure_ratio: 0 },
    },
  }),
  ...['a', 'b', 'c'].map((group, wave) =>
    recorded('exec-e1', 'WaveScheduled', { exec_id: 'e1', wave, group, target_count: 1, due_at: at(wave * 10) }),
  ),
];
const on = (type: string, data: Record<string, unknown>) => recorded('exec-e1', type, { exec_id: 'e1', ...data });

let database: ReadModelDatabase | undefined;
const readModel = async (events: ReturnType<typeof rollout>) => {
  database = await openReadModelDatabase(':memory:');
  createBatchWriter(database.sqlite, PROJECTIONS).apply(events, events.at(-1)?.seq ?? 0);
  return database.db;
};
afterEach(async () => {
  if (database !== undefined) await closeReadModelDatabase(database);
});

describe('the waves the dispatcher works on', () => {
  it('are only the next wave of a live rollout, once due', async () => {
    const db = await readModel(rollout());
    expect((await dueWaves(db, new Date(at(30)), 1e9)).map((w) => w.wave)).toEqual([0]);
    expect(await nextDueAt(db, new Date(at(0)))).toBe(undefined); // wave 0 is due now, not ahead
    expect(await nextDueAt(db, new Date('2026-11-22T09:59:00.000Z'))).toBe(at(0));
  });

  it('leave a halted rollout alone: nothing to dispatch, nothing to wake up for', async () => {
    const db = await readModel([
      ...rollout(),
      on('WaveReleased', { wave: 0 }),
      on('WaveDispatched', { wave: 0 }),
      on('ExecHalted', { wave: 1, reason: 'failures' }),
    ]);
    expect(await dueWaves(db, new Date(at(59)), 1e9)).toEqual([]);
    expect(await nextDueAt(db, new Date(at(5)))).toBe(undefined);
  });

  it('take a released wave that was not published yet (a crash in between)', async () => {
    const db = await readModel([...rollout(), on('WaveReleased', { wave: 0, deadline_at: at(5) })]);
    const due = await dueWaves(db, new Date(at(0)), 1e9);
    expect(due.map((w) => [w.wave, w.deadline_at])).toEqual([[0, at(5)]]);
  });

  it('keep an exec running until every wave went out, even when all sent so far are done', async () => {
    const db = await readModel([
      ...rollout(),
      on('WaveReleased', { wave: 0 }),
      on('WaveDispatched', { wave: 0 }),
      recorded('run-x', 'RunFinished', {
        result_id: 'x',
        exec_id: 'e1',
        request_id: 'r1',
        job_id: 'echo',
        version: '1.0.0',
        pc_id: 'pa',
        started_at: null,
        finished_at: at(1),
        exit_code: 0,
        outcome: 'succeeded',
        stdout: '',
        stderr: '',
      }),
    ]);
    const status = await db.selectFrom('executions').select(['status', 'waves_left']).executeTakeFirstOrThrow();
    expect(status).toEqual({ status: 'running', waves_left: 2 });
  });
});

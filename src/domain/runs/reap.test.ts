import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import type { RunEvent } from './events.ts';
import { type ReapRun, runDecider } from './reap.ts';

const given = DeciderSpecification.for(runDecider);
const identity = { result_id: 'r', exec_id: 'e', request_id: 'q', job_id: 'j', version: '1', pc_id: 'pc' };
const reap: ReapRun = { type: 'ReapRun', data: { ...identity, reason: 'no result' } };
const started: RunEvent = { type: 'RunStarted', data: { ...identity, started_at: '2026-11-22T10:00:00.000Z' } };

describe('run decider', () => {
  it('reaps a run that started and never finished', () =>
    given([started])
      .when(reap)
      .then([{ type: 'RunReaped', data: reap.data }]));
  it('does not reap a finished run', () =>
    given([
      started,
      {
        type: 'RunFinished',
        data: {
          ...identity,
          started_at: null,
          finished_at: 'x',
          exit_code: 0,
          outcome: 'succeeded',
          stdout: '',
          stderr: '',
        },
      },
    ])
      .when(reap)
      .thenNothingHappened());
  it('does not reap a run that never started, or twice', () => {
    given([]).when(reap).thenNothingHappened();
    given([started, { type: 'RunReaped', data: reap.data }])
      .when(reap)
      .thenNothingHappened();
  });
});

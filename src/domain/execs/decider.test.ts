import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, expect, it } from 'vitest';
import { aManifest } from '../../testing/manifests.ts';
import { buildCommand } from './command.ts';
import { ExecNotFound, execDecider, type MarkDispatched, type RequestExec } from './decider.ts';
import type { ExecEvent } from './events.ts';

const given = DeciderSpecification.for(execDecider);
const command = buildCommand(aManifest(), { exec_id: 'e1', request_id: 'r1' });
const request: RequestExec = {
  type: 'RequestExec',
  data: {
    exec_id: 'e1',
    kind: 'job',
    job_id: 'echo',
    version: '1.0.0',
    request_id: 'r1',
    target: { all: true },
    pcs: ['a', 'b'],
    command,
  },
};
const requested: ExecEvent = { type: 'ExecRequested', data: { ...request.data, target_count: 2 } };

describe('exec decider', () => {
  it('records a request with the number of resolved PCs', () => given([]).when(request).then([requested]));

  it('ignores the same request twice', () => given([requested]).when(request).thenNothingHappened());

  it('marks it dispatched once', () => {
    const dispatch: MarkDispatched = {
      type: 'MarkDispatched',
      data: { exec_id: 'e1', subjects: ['kanade.cmd.all.echo'] },
    };
    given([requested])
      .when(dispatch)
      .then([{ type: 'ExecDispatched', data: dispatch.data }]);
    given([requested, { type: 'ExecDispatched', data: dispatch.data }])
      .when(dispatch)
      .thenNothingHappened();
  });

  it('does not dispatch a killed exec', () =>
    given([requested, { type: 'KillRequested', data: { exec_id: 'e1' } }])
      .when({ type: 'MarkDispatched', data: { exec_id: 'e1', subjects: [] } })
      .thenNothingHappened());

  it('records a kill once', () => {
    given([requested])
      .when({ type: 'RequestKill', data: { exec_id: 'e1', reason: 'oops' } })
      .then([{ type: 'KillRequested', data: { exec_id: 'e1', reason: 'oops' } }]);
    given([requested, { type: 'KillRequested', data: { exec_id: 'e1' } }])
      .when({ type: 'RequestKill', data: { exec_id: 'e1' } })
      .thenNothingHappened();
  });

  it('refuses to kill an unknown exec', () =>
    given([])
      .when({ type: 'RequestKill', data: { exec_id: 'nope' } })
      .thenThrows((e) => e instanceof ExecNotFound));
});

describe('commands', () => {
  it('lower durations to seconds and carry one request id', () => {
    const strict = aManifest({
      execute: { shell: 'bash', script: 'x', timeout: '1h30m', run_as: 'system' },
      staleness: { mode: 'strict', max_cache_age: '1d' },
    });
    const c = buildCommand(strict, {
      exec_id: 'e',
      request_id: 'r',
      jitter_secs: 30,
      deadline_at: '2026-01-01T00:00:00.000Z',
    });
    expect(c).toEqual({
      id: 'echo',
      version: '1.0.0',
      request_id: 'r',
      exec_id: 'e',
      shell: 'bash',
      script: 'x',
      timeout_secs: 5400,
      jitter_secs: 30,
      run_as: 'system',
      deadline_at: '2026-01-01T00:00:00.000Z',
      staleness: { mode: 'strict', max_cache_age_secs: 86400 },
    });
  });
});

import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, expect, it } from 'vitest';
import { aManifest } from '../../testing/manifests.ts';
import { buildCommand } from './command.ts';
import {
  ExecNotFound,
  ExecNotHalted,
  execDecider,
  execRequestedData,
  type MarkDispatched,
  type RecordRequestPart,
  type RequestExec,
} from './decider.ts';
import type { ExecEvent, Wave } from './events.ts';

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

describe('exec decider, rollouts', () => {
  const rollout = {
    waves: [
      { group: 'canary', delay_secs: 0, pcs: ['a'], target_count: 1 },
      { group: 'wave1', delay_secs: 600, pcs: ['b'], target_count: 1 },
    ],
    gate: { max_failure_ratio: 0 },
  };
  const waved: RequestExec = {
    type: 'RequestExec',
    data: {
      ...request.data,
      pcs: ['a', 'b'],
      rollout,
      wave_times: [
        { due_at: '2026-01-01T00:00:00.000Z' },
        { due_at: '2026-01-01T00:10:00.000Z', deadline_at: '2026-01-01T00:15:00.000Z' },
      ],
    },
  };
  const { wave_times: _, ...recorded } = waved.data;
  const requestedWaves: ExecEvent[] = [
    { type: 'ExecRequested', data: { ...recorded, target_count: 2 } },
    {
      type: 'WaveScheduled',
      data: { exec_id: 'e1', wave: 0, group: 'canary', target_count: 1, due_at: '2026-01-01T00:00:00.000Z' },
    },
    {
      type: 'WaveScheduled',
      data: {
        exec_id: 'e1',
        wave: 1,
        group: 'wave1',
        target_count: 1,
        due_at: '2026-01-01T00:10:00.000Z',
        deadline_at: '2026-01-01T00:15:00.000Z',
      },
    },
  ];
  const released = (wave: number): ExecEvent => ({ type: 'WaveReleased', data: { exec_id: 'e1', wave } });
  const sent = (wave: number): ExecEvent => ({ type: 'WaveDispatched', data: { exec_id: 'e1', wave } });
  // A wave that went out: released (decided), then dispatched (published).
  const dispatched = (wave: number): ExecEvent[] => [released(wave), sent(wave)];
  const halted: ExecEvent = { type: 'ExecHalted', data: { exec_id: 'e1', wave: 1, reason: 'r' } };

  it('schedules every wave with the request', () => given([]).when(waved).then(requestedWaves));

  it('records the selector of a wave a selector chose, where a group wave has its group', () => {
    const where = { selector: 'os.family == "linux"' };
    const bySelector: RequestExec = {
      ...waved,
      data: {
        ...waved.data,
        rollout: { waves: [{ where, delay_secs: 0, pcs: ['a'], target_count: 1 }, rollout.waves[1] as Wave] },
      },
    };
    const { wave_times: _times, ...data } = bySelector.data;
    given([])
      .when(bySelector)
      .then([
        { type: 'ExecRequested', data: { ...data, target_count: 2 } },
        {
          type: 'WaveScheduled',
          data: { exec_id: 'e1', wave: 0, where, target_count: 1, due_at: '2026-01-01T00:00:00.000Z' },
        },
        requestedWaves[2] as ExecEvent,
      ]);
  });

  it('releases waves in order, each once, and dispatches only a released wave', () => {
    given(requestedWaves)
      .when({ type: 'ReleaseWave', data: { exec_id: 'e1', wave: 1 } })
      .thenNothingHappened();
    given(requestedWaves)
      .when({ type: 'DispatchWave', data: { exec_id: 'e1', wave: 0 } })
      .thenNothingHappened();
    given(requestedWaves)
      .when({ type: 'ReleaseWave', data: { exec_id: 'e1', wave: 0, deadline_at: '2026-01-01T00:05:00.000Z' } })
      .then([{ type: 'WaveReleased', data: { exec_id: 'e1', wave: 0, deadline_at: '2026-01-01T00:05:00.000Z' } }]);
    given([...requestedWaves, released(0)])
      .when({ type: 'DispatchWave', data: { exec_id: 'e1', wave: 0 } })
      .then([sent(0)]);
    given([...requestedWaves, ...dispatched(0)])
      .when({ type: 'DispatchWave', data: { exec_id: 'e1', wave: 0 } })
      .thenNothingHappened();
  });

  it('takes one verdict on a wave: once released it cannot be halted, once halted it cannot be released', () => {
    given([...requestedWaves, ...dispatched(0), released(1)])
      .when({ type: 'HaltExec', data: { exec_id: 'e1', wave: 1, reason: 'late verdict' } })
      .thenNothingHappened();
    given([...requestedWaves, ...dispatched(0), halted])
      .when({ type: 'ReleaseWave', data: { exec_id: 'e1', wave: 1 } })
      .thenNothingHappened();
  });

  it('holds a halted rollout until resumed, then waives that gate', () => {
    const history = [...requestedWaves, ...dispatched(0), halted];
    given(history)
      .when({ type: 'ReleaseWave', data: { exec_id: 'e1', wave: 1 } })
      .thenNothingHappened();
    given(history)
      .when({ type: 'ResumeExec', data: { exec_id: 'e1' } })
      .then([{ type: 'ExecResumed', data: { exec_id: 'e1', wave: 1 } }]);
    given([...history, { type: 'ExecResumed', data: { exec_id: 'e1', wave: 1 } }])
      .when({ type: 'ReleaseWave', data: { exec_id: 'e1', wave: 1 } })
      .then([released(1)]);
  });

  it('refuses to resume what is not halted', () =>
    given([...requestedWaves, ...dispatched(0)])
      .when({ type: 'ResumeExec', data: { exec_id: 'e1' } })
      .thenThrows((e) => e instanceof ExecNotHalted));

  it('aborts waves not yet dispatched; nothing goes out after an abort or a kill', () => {
    const history = [...requestedWaves, ...dispatched(0), halted];
    given(history)
      .when({ type: 'AbortExec', data: { exec_id: 'e1', reason: 'bad canary' } })
      .then([{ type: 'ExecAborted', data: { exec_id: 'e1', reason: 'bad canary' } }]);
    for (const stop of [
      { type: 'ExecAborted', data: { exec_id: 'e1' } },
      { type: 'KillRequested', data: { exec_id: 'e1' } },
    ] as ExecEvent[]) {
      given([...requestedWaves, ...dispatched(0), stop])
        .when({ type: 'ReleaseWave', data: { exec_id: 'e1', wave: 1 } })
        .thenNothingHappened();
      given([...requestedWaves, ...dispatched(0), released(1), stop])
        .when({ type: 'DispatchWave', data: { exec_id: 'e1', wave: 1 } })
        .thenNothingHappened();
    }
    given([...requestedWaves, ...dispatched(0), ...dispatched(1)])
      .when({ type: 'AbortExec', data: { exec_id: 'e1' } })
      .thenNothingHappened();
  });
});

describe('a request recorded in parts', () => {
  const json = JSON.stringify(execRequestedData(request.data));
  const cut = [json.slice(0, 40), json.slice(40, 90), json.slice(90)];
  const part = (i: number, requestId = 'r1', text = cut[i] as string): ExecEvent => ({
    type: 'ExecRequestPart',
    data: { exec_id: 'e1', request_id: requestId, part: i, parts: 3, text },
  });
  const record = (i: number): RecordRequestPart => ({
    type: 'RecordRequestPart',
    data: part(i).data as RecordRequestPart['data'],
  });
  const inParts: RequestExec = { ...request, data: { ...request.data, parts: 3 } };
  const requestedInParts: ExecEvent = {
    type: 'ExecRequestedInParts',
    data: { exec_id: 'e1', request_id: 'r1', kind: 'job', job_id: 'echo', version: '1.0.0', target_count: 2, parts: 3 },
  };

  it('records each part once, in order', () => {
    given([])
      .when(record(0))
      .then([part(0)]);
    given([part(0)])
      .when(record(1))
      .then([part(1)]);
    given([part(0), part(1)])
      .when(record(1))
      .thenNothingHappened();
    given([part(0)])
      .when(record(2))
      .thenThrows((e) => /comes before part 1/.test(e.message));
  });

  it('records the request once its parts spell it, and folds it whole', () => {
    given([part(0), part(1), part(2)])
      .when(inParts)
      .then([requestedInParts]);
    const state = [part(0), part(1), part(2), requestedInParts].reduce(execDecider.evolve, execDecider.initialState());
    expect(state.status === 'requested' && state.request).toEqual(execRequestedData(request.data));
  });

  it('refuses a request its parts do not spell, and ignores the parts of another attempt', () => {
    given([part(0), part(1)])
      .when(inParts)
      .thenThrows((e) => /do not spell this request/.test(e.message));
    const other = json.replace('"b"', '"c"');
    expect(other).not.toBe(json);
    given([part(0, 'r1', other.slice(0, 40)), part(1, 'r1', other.slice(40, 90)), part(2, 'r1', other.slice(90))])
      .when(inParts)
      .thenThrows((e) => /do not spell this request/.test(e.message));
    const garbled = [part(0, 'r1', '{"exec_id":'), part(1, 'r1', 'nope'), part(2, 'r1', '}'), requestedInParts];
    expect(garbled.reduce(execDecider.evolve, execDecider.initialState()).status).toBe('absent');
    // An attempt that crashed after two parts, then a new attempt from part 0: only the new one counts.
    const state = [part(0, 'r0'), part(1, 'r0'), part(0), part(1), part(2), requestedInParts].reduce(
      execDecider.evolve,
      execDecider.initialState(),
    );
    expect(state.status).toBe('requested');
  });
});

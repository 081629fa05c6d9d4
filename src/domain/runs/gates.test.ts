import { describe, expect, it } from 'vitest';
import type { ExecCommand } from '../execs/command.ts';
import { type GateInput, gate } from './gates.ts';

const command: ExecCommand = {
  id: 'echo',
  version: '2',
  request_id: 'r1',
  exec_id: 'e1',
  shell: 'sh',
  script: 'echo hi',
  timeout_secs: 30,
  run_as: 'system',
  staleness: { mode: 'cached' },
};
const now = Date.parse('2026-11-22T10:00:00Z');
const input = (
  over: Partial<GateInput['views'] & { stalenessSecs: number }> = {},
  cmd: Partial<ExecCommand> = {},
): GateInput => ({
  command: { ...command, ...cmd },
  now,
  views: { halt: undefined, revoked: false, pin: '2', killed: false, ...over },
  stalenessSecs: over.stalenessSecs ?? 0,
  platform: 'linux',
  shells: ['sh', 'bash'],
});

describe('agent gates', () => {
  it('let a current, unrevoked, pinned command run', () => expect(gate(input())).toEqual({ run: true }));

  it('refuse everything with 121 while the fleet is halted, before any other gate', () =>
    expect(gate(input({ halt: { reason: 'bad rollout', by: 'alice' }, revoked: true, killed: true }))).toEqual({
      run: false,
      exit_code: 121,
      outcome: 'skipped',
      reason: 'refused: the fleet is halted by alice: bad rollout',
    }));

  it('refuse a command with nothing to run with 120, instead of "succeeding" with an empty script', () => {
    for (const script of ['', '  \n\t'])
      expect(gate(input({}, { script }))).toEqual({
        run: false,
        exit_code: 120,
        outcome: 'skipped',
        reason: 'skipped: the command has no script to run; nothing ran',
      });
    expect(gate(input({}, { script: '', script_object: 'tools/1.0' }))).toMatchObject({
      exit_code: 120,
      reason: expect.stringMatching(/script objects are not supported by this agent \(script_object tools\/1.0\)/),
    });
  });

  it('skip a revoked job with 126', () =>
    expect(gate(input({ revoked: true }))).toMatchObject({ run: false, exit_code: 126, outcome: 'skipped' }));

  it('skip a command whose version is not the pinned one with 124, naming both', () =>
    expect(gate(input({ pin: '3' }))).toMatchObject({
      exit_code: 124,
      reason: expect.stringMatching(/pinned echo = 3, command brought 2/),
    }));

  it('skip a command past its starting deadline with 125', () =>
    expect(gate(input({}, { deadline_at: '2026-11-22T09:59:00Z' }))).toMatchObject({
      exit_code: 125,
      reason: expect.stringMatching(/60s ago/),
    }));

  it('run a command exactly at its deadline', () =>
    expect(gate(input({}, { deadline_at: '2026-11-22T10:00:00Z' }))).toEqual({ run: true }));

  it('skip with 127 when the agent has been disconnected longer than a strict policy allows', () => {
    const strict = { staleness: { mode: 'strict', max_cache_age_secs: 60 } } as const;
    expect(gate(input({ stalenessSecs: 61 }, strict))).toMatchObject({ exit_code: 127 });
    expect(gate(input({ stalenessSecs: 60 }, strict))).toEqual({ run: true });
  });

  it('check staleness before revoke, and revoke before the pin', () => {
    const strict = { staleness: { mode: 'strict', max_cache_age_secs: 1 } } as const;
    expect(gate(input({ stalenessSecs: 5, revoked: true, pin: '9' }, strict))).toMatchObject({ exit_code: 127 });
    expect(gate(input({ revoked: true, pin: '9' }))).toMatchObject({ exit_code: 126 });
  });

  it('ignore revoke and pin for unchecked jobs, but not the deadline', () => {
    const unchecked = { staleness: { mode: 'unchecked' } } as const;
    expect(gate(input({ revoked: true, pin: '9' }, unchecked))).toEqual({ run: true });
    expect(gate(input({}, { ...unchecked, deadline_at: '2026-01-01T00:00:00Z' }))).toMatchObject({ exit_code: 125 });
  });

  it('report an exec killed before it started as killed', () =>
    expect(gate(input({ killed: true }))).toMatchObject({ run: false, outcome: 'killed', exit_code: -1 }));

  it('skip Windows-only shells and identities elsewhere with 122', () => {
    expect(gate(input({}, { shell: 'powershell' }))).toMatchObject({ exit_code: 122 });
    expect(gate(input({}, { run_as: 'user' }))).toMatchObject({ exit_code: 122 });
    expect(gate(input({}, { shell: 'pwsh' }))).toMatchObject({
      exit_code: 122,
      reason: expect.stringMatching(/not installed/),
    });
  });
});

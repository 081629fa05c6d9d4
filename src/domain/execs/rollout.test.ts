import { describe, expect, it } from 'vitest';
import type { Selector } from '../selectors/ast.ts';
import { parseSelector } from '../selectors/parser.ts';
import { judgeGate, planRollout, waveLabel, wavePlanOf } from './rollout.ts';
import type { KnownAgent } from './target.ts';

const agents: KnownAgent[] = [
  { pc_id: 'a', groups: ['canary', 'all-pcs'], online: true },
  { pc_id: 'b', groups: ['canary', 'wave1'], online: true },
  { pc_id: 'c', groups: ['wave1'], online: true },
  { pc_id: 'd', groups: ['wave1'], online: false },
  { pc_id: 'e', groups: ['other'], online: true },
];

describe('planRollout', () => {
  it('gives each PC to the first wave that names it, online members only', () => {
    const plan = planRollout(
      [
        { group: 'canary', delay_secs: 0 },
        { group: 'wave1', delay_secs: 60 },
      ],
      undefined,
      agents,
    );
    expect(plan.waves).toEqual([
      { group: 'canary', delay_secs: 0, pcs: ['a', 'b'], target_count: 2 },
      { group: 'wave1', delay_secs: 60, pcs: ['c'], target_count: 1 },
    ]);
  });

  it('limits waves to a scope, named offline PCs included', () => {
    const plan = planRollout(
      [
        { group: 'canary', delay_secs: 0 },
        { group: 'wave1', delay_secs: 60 },
      ],
      { pcs: ['b', 'd'] },
      agents,
      { max_failure_ratio: 0.5 },
    );
    expect(plan.waves.map((w) => w.pcs)).toEqual([['b'], ['d']]);
    expect(plan.gate).toEqual({ max_failure_ratio: 0.5 });
  });
});

describe('planRollout with selector waves', () => {
  const selector = (text: string): Selector => {
    const parsed = parseSelector(text);
    if (!parsed.ok) throw new Error(parsed.issues[0]?.message);
    return parsed.selector;
  };
  const facts: Record<string, unknown> = {
    a: { os: { family: 'linux' } },
    b: { os: { family: 'windows' } },
    c: { os: { family: 'linux' } },
    d: { os: { family: 'linux' } },
    e: { os: { family: 'linux' } },
  };
  const factsOf = (pc: string) => facts[pc];

  it('matches facts and groups of online agents, records the canonical selector, and leaves the rest to later waves', () => {
    const plan = planRollout(
      [
        { where: selector('os.family == "linux" and "wave1" in groups'), delay_secs: 0 },
        { group: 'canary', delay_secs: 60 },
        { where: selector('os.family == "linux"'), delay_secs: 120 },
      ],
      undefined,
      agents,
      undefined,
      factsOf,
    );
    expect(plan.waves).toEqual([
      {
        where: { selector: 'os.family == "linux" and groups contains "wave1"' },
        delay_secs: 0,
        pcs: ['c'],
        target_count: 1,
      },
      { group: 'canary', delay_secs: 60, pcs: ['a', 'b'], target_count: 2 },
      { where: { selector: 'os.family == "linux"' }, delay_secs: 120, pcs: ['e'], target_count: 1 },
    ]);
  });

  it('takes named offline PCs of a scope, like a group wave, and may match nobody', () => {
    const plan = planRollout(
      [
        { where: selector('os.family == "linux"'), delay_secs: 0 },
        { where: selector('os.family == "macos"'), delay_secs: 60 },
        { group: 'canary', delay_secs: 120 },
      ],
      { pcs: ['b', 'd'] },
      agents,
      undefined,
      factsOf,
    );
    expect(plan.waves.map((w) => w.pcs)).toEqual([['d'], [], ['b']]);
  });

  it('sees no facts for an agent that reported none', () => {
    const plan = planRollout([{ where: selector('os.family == "linux"'), delay_secs: 0 }], undefined, agents);
    expect(plan.waves[0]?.pcs).toEqual([]);
    const byId = planRollout([{ where: selector('pc_id startswith "a"'), delay_secs: 0 }], undefined, agents);
    expect(byId.waves[0]?.pcs).toEqual(['a']);
  });

  it('turns written waves into plans and labels recorded ones', () => {
    expect(wavePlanOf({ where: 'os.family == "linux"', delay: '10m' })).toEqual({
      where: 'os.family == "linux"',
      delay_secs: 600,
    });
    expect(wavePlanOf({ group: 'canary', delay: '0s' })).toEqual({ group: 'canary', delay_secs: 0 });
    expect(waveLabel({ group: 'canary' })).toBe('canary');
    expect(waveLabel({ group: null, where: { selector: 'os.family == "linux"' } })).toBe('where os.family == "linux"');
  });
});

describe('judgeGate', () => {
  const wave = (succeeded: number, failed: number, skipped = 0, target_count = 4) => ({
    target_count,
    succeeded,
    failed,
    skipped,
  });

  it('passes without a gate, whatever happened', () => expect(judgeGate(undefined, wave(0, 4), 0).pass).toBe(true));

  it('halts when the failure ratio of finished runs is over the limit', () => {
    expect(judgeGate({ max_failure_ratio: 0.25 }, wave(3, 1), 0)).toEqual({ pass: true });
    const verdict = judgeGate({ max_failure_ratio: 0.25 }, wave(1, 1), 0);
    expect(verdict).toEqual({
      pass: false,
      reason: 'wave 0 failed on 1 of 2 PCs (0.5 > max_failure_ratio 0.25)',
    });
  });

  it('halts when a wave with PCs has no finished result, but not when it had no PCs', () => {
    expect(judgeGate({ max_failure_ratio: 0.1 }, wave(0, 0, 2), 1)).toMatchObject({ pass: false });
    expect(judgeGate({ max_failure_ratio: 0.1 }, wave(0, 0, 0, 0), 1)).toEqual({ pass: true });
  });

  it('halts below min_success', () => {
    expect(judgeGate({ min_success: 2 }, wave(2, 2), 0)).toEqual({ pass: true });
    expect(judgeGate({ min_success: 3 }, wave(2, 0), 0)).toMatchObject({ pass: false });
  });
});

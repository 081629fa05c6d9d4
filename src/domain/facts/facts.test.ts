import { describe, expect, it } from 'vitest';
import { diffFacts, factsProblem, MAX_FACTS_BYTES } from './facts.ts';

describe('facts', () => {
  it('differ by dotted path, with values before and after', () => {
    const before = { os: { family: 'linux', version: '12' }, cpu: { count: 2 }, ip: ['10.0.0.1'] };
    const after = { os: { family: 'linux', version: '13' }, ip: ['10.0.0.1', '10.0.0.2'], disk: { free_gb: 9 } };
    expect(diffFacts(before, after)).toEqual([
      { path: 'cpu.count', from: '2', to: null },
      { path: 'disk.free_gb', from: null, to: '9' },
      { path: 'ip', from: '["10.0.0.1"]', to: '["10.0.0.1","10.0.0.2"]' },
      { path: 'os.version', from: '"12"', to: '"13"' },
    ]);
    expect(diffFacts(after, after)).toEqual([]);
    expect(diffFacts(undefined, { a: 1 })).toEqual([{ path: 'a', from: null, to: '1' }]);
  });

  it('treat odd keys as keys', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as Record<string, unknown>;
    expect(diffFacts({}, hostile)).toEqual([
      { path: '__proto__.polluted', from: null, to: 'true' },
      { path: 'constructor', from: null, to: '1' },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuse what is not an object, too deep or too big', () => {
    expect(factsProblem({ os: {} })).toBeUndefined();
    expect(factsProblem([1])).toMatch(/not a JSON object/);
    expect(factsProblem('x')).toMatch(/not a JSON object/);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(factsProblem(deep)).toMatch(/deeper than/);
    expect(factsProblem({ blob: 'x'.repeat(MAX_FACTS_BYTES) })).toMatch(/more than the/);
  });
});

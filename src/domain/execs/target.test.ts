import { describe, expect, it } from 'vitest';
import { addressesOf, namedGroups, resolveTarget, unknownGroupIssues } from './target.ts';

const agents = [
  { pc_id: 'a', groups: ['canary'], online: true },
  { pc_id: 'b', groups: ['wave1'], online: true },
  { pc_id: 'c', groups: ['wave1'], online: false },
  { pc_id: 'd', groups: [], online: true },
];

describe('target resolution', () => {
  it('counts online agents for all', () => expect(resolveTarget({ all: true }, agents).pcs).toEqual(['a', 'b', 'd']));

  it('counts online members of the groups', () =>
    expect(resolveTarget({ groups: ['wave1', 'canary'] }, agents).pcs).toEqual(['a', 'b']));

  it('counts named PCs even when offline, and names unknown ones', () =>
    expect(resolveTarget({ pcs: ['c', 'zz'] }, agents)).toEqual({ pcs: ['c'], unknown: ['zz'] }));

  it('counts a PC reached twice once', () =>
    expect(resolveTarget({ all: true, groups: ['canary'], pcs: ['a'] }, agents).pcs).toEqual(['a', 'b', 'd']));

  it('publishes to one subject per target part', () =>
    expect(addressesOf({ all: true, groups: ['b', 'a', 'a'], pcs: ['x'] })).toEqual([
      { kind: 'all' },
      { kind: 'group', group: 'a' },
      { kind: 'group', group: 'b' },
      { kind: 'pc', pc: 'x' },
    ]));
});

describe('unknown groups', () => {
  it("skips waves a selector chose (matching nobody is allowed), keeping the other waves' paths", () => {
    const named = namedGroups({ groups: ['canary'] }, [{ where: 'os.family == "nope"' }, { group: 'wave2' }]);
    expect(named).toEqual([
      { group: 'canary', path: 'target.groups[0]' },
      { group: 'wave2', path: 'rollout.waves[1].group' },
    ]);
    expect(unknownGroupIssues(named, agents)).toEqual([
      { path: 'rollout.waves[1].group', message: 'no approved agent is in group wave2 (did you mean wave1?)' },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from './configManifests.ts';

describe('config manifests', () => {
  it('parse the three layers, normalized, with ids from their scope', () => {
    const parsed = parseConfigYaml(
      [
        'layer: global\nsettings: { heartbeat: 60s, log_level: warn }',
        'layer: group\ngroup: lab\npriority: 10\nsettings:\n  max_concurrent: 4\n  facts_interval: 2h\n  facts_jitter: 10m',
        'layer: pc\npc: ws01.corp.example\nsettings:\n  staleness: { mode: strict, max_cache_age: 90m }\n  agent_version: "1.4.0"',
      ].join('\n---\n'),
    );
    expect(parsed).toEqual({
      ok: true,
      value: [
        { id: 'global', layer: 'global', settings: { heartbeat: '1m', log_level: 'warn' } },
        {
          id: 'group/lab',
          layer: 'group',
          group: 'lab',
          priority: 10,
          settings: { facts_interval: '2h', facts_jitter: '10m', max_concurrent: 4 },
        },
        {
          id: 'pc/ws01.corp.example',
          layer: 'pc',
          pc: 'ws01.corp.example',
          settings: { staleness: { mode: 'strict', max_cache_age: '1h30m' }, agent_version: '1.4.0' },
        },
      ],
    });
  });

  it('refuse what is wrong, each problem at its line and column', () => {
    const parsed = parseConfigYaml(
      'layer: group\npriority: 5000\nsettings:\n  heartbeat: 2h\n  max_concurent: 4\n  log_level: loud\n',
    );
    expect(parsed.ok).toBe(false);
    const issues = parsed.ok ? [] : parsed.issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
    expect(issues).toEqual([
      '2:1 priority must be at most 1000',
      '4:3 settings.heartbeat must be at most 1h',
      '5:3 settings.max_concurent unknown key (did you mean max_concurrent?)',
      '6:3 settings.log_level must be one of debug, info, warn, error',
    ]);
    // With those fixed, the rules across fields speak: a group layer names its group.
    const fixed = parseConfigYaml('layer: group\nsettings: { heartbeat: 5s }\n');
    expect(fixed.ok ? [] : fixed.issues.map((i) => `${i.path} ${i.message}`)).toEqual([
      'group a group layer names its group',
    ]);
  });

  it('refuse an empty layer, a priority outside a group layer, too much jitter, and two documents for one layer', () => {
    const problems = (text: string) => {
      const parsed = parseConfigYaml(text);
      return parsed.ok ? [] : parsed.issues.map((i) => i.message);
    };
    expect(problems('layer: global\nsettings: {}')).toEqual([expect.stringMatching(/set at least one of heartbeat/)]);
    expect(problems('layer: global\npriority: 1\nsettings: { heartbeat: 5s }')).toEqual([
      expect.stringMatching(/only a group layer has a priority/),
    ]);
    expect(problems('layer: global\nsettings: { facts_interval: 10m, facts_jitter: 6m }')).toEqual([
      'facts_jitter must be at most half of facts_interval',
    ]);
    expect(
      problems('layer: pc\npc: a\nsettings: { heartbeat: 5s }\n---\nlayer: pc\npc: a\nsettings: { heartbeat: 6s }'),
    ).toEqual([expect.stringMatching(/config layer id pc\/a is already defined in document 1/)]);
  });
});

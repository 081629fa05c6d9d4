import { describe, expect, it } from 'vitest';
import { AGENT_DEFAULTS, type ConfigManifest, configDecider, effectiveConfig, settingsOf } from './index.ts';

const defaults = AGENT_DEFAULTS;
const group = (name: string, priority: number, settings: ConfigManifest['settings']): ConfigManifest => ({
  id: `group/${name}`,
  layer: 'group',
  group: name,
  priority,
  settings,
});
const global: ConfigManifest = { id: 'global', layer: 'global', settings: { heartbeat: '1m', log_level: 'warn' } };
const pc: ConfigManifest = { id: 'pc/ws01', layer: 'pc', pc: 'ws01', settings: { log_level: 'debug' } };

const sourceOf = (values: ReturnType<typeof effectiveConfig>, key: string) => values.find((v) => v.key === key)?.source;

describe('effective config', () => {
  it('takes each key from the narrowest layer that sets it: pc, then groups, then global, then the agent', () => {
    const values = effectiveConfig({ global, groups: [group('lab', 0, { heartbeat: '10s' })], pc }, ['lab'], defaults);
    expect(settingsOf(values)).toEqual({ ...defaults, heartbeat: '10s', log_level: 'debug' });
    expect(sourceOf(values, 'heartbeat')).toEqual({ layer: 'group', group: 'lab', priority: 0 });
    expect(sourceOf(values, 'log_level')).toEqual({ layer: 'pc' });
    expect(sourceOf(values, 'max_concurrent')).toEqual({ layer: 'default' });
  });

  it('ignores the layers of groups the PC is not in', () => {
    const values = effectiveConfig({ global, groups: [group('lab', 0, { heartbeat: '10s' })] }, ['ops'], defaults);
    expect(settingsOf(values).heartbeat).toBe('1m');
    expect(sourceOf(values, 'heartbeat')).toEqual({ layer: 'global' });
  });

  it('decides between groups by priority, then by name, and says which rule applied', () => {
    const lab = group('lab', 0, { heartbeat: '10s', max_concurrent: 4 });
    const ops = group('ops', 5, { heartbeat: '20s' });
    const canary = group('canary', 0, { max_concurrent: 8 });
    const values = effectiveConfig({ groups: [lab, ops, canary] }, ['canary', 'lab', 'ops'], defaults);
    expect(sourceOf(values, 'heartbeat')).toEqual({
      layer: 'group',
      group: 'ops',
      priority: 5,
      rule: 'priority',
      over: ['lab'],
    });
    expect(settingsOf(values).max_concurrent).toBe(8); // canary sorts before lab
    expect(sourceOf(values, 'max_concurrent')).toEqual({
      layer: 'group',
      group: 'canary',
      priority: 0,
      rule: 'name',
      over: ['lab'],
    });
    // The order the layers arrive in does not matter.
    expect(effectiveConfig({ groups: [canary, ops, lab] }, ['ops', 'lab', 'canary'], defaults)).toEqual(values);
  });
});

describe('the config-layer decider', () => {
  const { decide, evolve, initialState } = configDecider;
  it('creates, updates with the changed paths, appends nothing for the same manifest, and deletes', () => {
    const created = decide({ type: 'ApplyConfigLayer', data: { manifest: global } }, initialState());
    expect(created).toEqual([
      { type: 'ConfigLayerSet', data: { layer: 'global', manifest: global, created: true, changed: [] } },
    ]);
    const state = created.reduce(evolve, initialState());
    expect(decide({ type: 'ApplyConfigLayer', data: { manifest: global } }, state)).toEqual([]);
    const next = { ...global, settings: { ...global.settings, heartbeat: '2m' } };
    expect(decide({ type: 'ApplyConfigLayer', data: { manifest: next } }, state)).toEqual([
      {
        type: 'ConfigLayerSet',
        data: { layer: 'global', manifest: next, created: false, changed: ['settings.heartbeat'] },
      },
    ]);
    const deleted = decide({ type: 'DeleteConfigLayer', data: { layer: 'global' } }, state);
    expect(deleted).toEqual([{ type: 'ConfigLayerDeleted', data: { layer: 'global' } }]);
    expect(() =>
      decide({ type: 'DeleteConfigLayer', data: { layer: 'global' } }, deleted.reduce(evolve, state)),
    ).toThrow(/does not exist/);
  });
});

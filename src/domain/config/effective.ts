import { type ConfigManifest, priorityOf } from './layers.ts';
import { type AgentSettings, CONFIG_KEYS, type ConfigKey } from './settings.ts';

/**
 * Where an effective value came from. `default`: no layer sets it (the agent keeps its own setting: a
 * command-line flag, or the built-in default shown). A group value names its group and, when other
 * groups of the PC set the key too, the rule that chose it and the groups it won over.
 */
export type ValueSource =
  | Readonly<{ layer: 'default' }>
  | Readonly<{ layer: 'global' }>
  | Readonly<{ layer: 'pc' }>
  | Readonly<{ layer: 'group'; group: string; priority: number; rule?: GroupRule; over?: readonly string[] }>;

/**
 * How a key set by several of a PC's groups is decided: the highest `priority` wins (`priority`); at
 * equal priority, the group whose name sorts first, byte by byte (`name`).
 */
export type GroupRule = 'priority' | 'name';

/** One effective setting. */
export type EffectiveValue<K extends ConfigKey = ConfigKey> = Readonly<{
  key: K;
  value: AgentSettings[K];
  source: ValueSource;
}>;

/** The layers that may apply to one PC (the caller hands over those it has; extra groups are ignored). */
export type ApplicableLayers = Readonly<{
  global?: ConfigManifest | undefined;
  groups: readonly ConfigManifest[];
  pc?: ConfigManifest | undefined;
}>;

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The effective settings of a PC in `groups`: the PC layer over its group layers over the global
 * layer over `defaults`, key by key. The agent and the server compute it with this one function (the
 * agent from the signed layers it reads, the server from its read model), so they agree.
 */
export const effectiveConfig = (
  layers: ApplicableLayers,
  groups: readonly string[],
  defaults: AgentSettings,
): EffectiveValue[] => {
  const member = new Set(groups);
  const groupLayers = layers.groups
    .filter((l) => l.layer === 'group' && member.has(l.group))
    .sort((a, b) => priorityOf(b) - priorityOf(a) || byName(groupOf(a), groupOf(b)));
  return CONFIG_KEYS.map((key): EffectiveValue => {
    const pc = layers.pc?.settings[key];
    if (pc !== undefined) return { key, value: pc, source: { layer: 'pc' } };
    const setting = groupLayers.filter((l) => l.settings[key] !== undefined);
    const [winner, runnerUp] = setting;
    if (winner !== undefined) {
      const group = groupOf(winner);
      const priority = priorityOf(winner);
      const source: ValueSource =
        runnerUp === undefined
          ? { layer: 'group', group, priority }
          : {
              layer: 'group',
              group,
              priority,
              rule: priorityOf(runnerUp) < priority ? 'priority' : 'name',
              over: setting.slice(1).map(groupOf),
            };
      return { key, value: winner.settings[key] as AgentSettings[typeof key], source };
    }
    const global = layers.global?.settings[key];
    if (global !== undefined) return { key, value: global, source: { layer: 'global' } };
    return { key, value: defaults[key], source: { layer: 'default' } };
  });
};

/** The effective values as one settings object. */
export const settingsOf = (values: readonly EffectiveValue[]): AgentSettings =>
  Object.fromEntries(values.map((v) => [v.key, v.value])) as AgentSettings;

const groupOf = (m: ConfigManifest): string => (m.layer === 'group' ? m.group : '');

/** Where a value came from, in words: `pc`, `global`, `the agent’s own`, `group lab (priority 10, over ops by priority)`. */
export const sourceText = (source: ValueSource): string => {
  if (source.layer === 'default') return 'the agent’s own';
  if (source.layer !== 'group') return source.layer;
  const over = source.over === undefined ? '' : `, over ${source.over.join(', ')} by ${source.rule ?? 'priority'}`;
  return `group ${source.group} (priority ${source.priority}${over})`;
};

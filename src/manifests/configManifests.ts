import * as v from 'valibot';
import {
  AGENT_LOG_LEVELS,
  CONFIG_KEYS,
  CONFIG_LAYERS,
  type ConfigManifest,
  type ConfigSettings,
  layerId,
} from '../domain/config/index.ts';
import { type Parsed, parseDuration } from '../domain/shared/index.ts';
import { groupNameSchema, pcIdSchema } from './fanoutSchema.ts';
import { boundedDuration, stalenessSchema, versionSchema } from './jobSchema.ts';
import { parseJsonManifests, parseYamlManifests } from './manifestDocuments.ts';
import { type Origin, toIssues } from './valibotIssues.ts';

/** The bounds of each duration setting, in seconds. */
export const CONFIG_BOUNDS = {
  heartbeat: [1, 3_600],
  facts_interval: [10, 7 * 86_400],
  facts_jitter: [0, 86_400],
  max_concurrent: [1, 1_024],
  priority: [-1_000, 1_000],
} as const;

const wholeNumber = ([min, max]: readonly [number, number]) =>
  v.pipe(
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const settingsSchema = v.pipe(
  v.strictObject({
    heartbeat: v.optional(boundedDuration(...CONFIG_BOUNDS.heartbeat)),
    facts_interval: v.optional(boundedDuration(...CONFIG_BOUNDS.facts_interval)),
    facts_jitter: v.optional(boundedDuration(...CONFIG_BOUNDS.facts_jitter)),
    max_concurrent: v.optional(wholeNumber(CONFIG_BOUNDS.max_concurrent)),
    log_level: v.optional(v.picklist(AGENT_LOG_LEVELS, `must be one of ${AGENT_LOG_LEVELS.join(', ')}`)),
    staleness: v.optional(stalenessSchema),
    agent_version: v.optional(versionSchema),
  }),
  v.check((s) => Object.keys(s).length > 0, `set at least one of ${CONFIG_KEYS.join(', ')}`),
  v.check(
    (s) =>
      s.facts_interval === undefined ||
      s.facts_jitter === undefined ||
      (parseDuration(s.facts_jitter) ?? 0) * 2 <= (parseDuration(s.facts_interval) ?? 0),
    'facts_jitter must be at most half of facts_interval',
  ),
);

const fields = v.strictObject({
  layer: v.picklist(CONFIG_LAYERS, `must be one of ${CONFIG_LAYERS.join(', ')}`),
  group: v.optional(groupNameSchema),
  pc: v.optional(pcIdSchema),
  priority: v.optional(wholeNumber(CONFIG_BOUNDS.priority)),
  description: v.optional(v.string('must be a string')),
  settings: settingsSchema,
});

type Fields = v.InferOutput<typeof fields>;

const named = (key: 'group' | 'pc', layer: string) =>
  v.forward(
    v.check(
      (m: Fields) => (m.layer === layer) === (m[key] !== undefined),
      (issue) =>
        (issue.input as Fields).layer === layer
          ? `a ${layer} layer names its ${key}`
          : `only a ${key} layer names a ${key}`,
    ),
    [key],
  );

/** A config manifest as written (strict: an unknown key is an error), with its cross-field rules. */
export const configManifestSchema = v.pipe(
  fields,
  named('group', 'group'),
  named('pc', 'pc'),
  v.forward(
    v.check(
      (m: Fields) => m.priority === undefined || m.layer === 'group',
      'only a group layer has a priority (it decides between groups)',
    ),
    ['priority'],
  ),
);

// Keys in the order CONFIG_KEYS lists them, so two spellings of one layer record the same manifest.
const ordered = (settings: ConfigSettings): ConfigSettings =>
  Object.fromEntries(CONFIG_KEYS.filter((k) => settings[k] !== undefined).map((k) => [k, settings[k]]));

/** Validates one config manifest value (from YAML or JSON); its id is derived from its layer. */
export const parseConfigValue = (value: unknown, origin: Origin): Parsed<ConfigManifest> => {
  const result = v.safeParse(configManifestSchema, value);
  if (!result.success) return { ok: false, issues: toIssues(result.issues, origin, configManifestSchema) };
  const m = result.output;
  const rest = {
    ...(m.description === undefined ? {} : { description: m.description }),
    settings: ordered(m.settings as ConfigSettings),
  };
  const manifest: ConfigManifest =
    m.layer === 'global'
      ? { id: 'global', layer: 'global', ...rest }
      : m.layer === 'group'
        ? { id: '', layer: 'group', group: m.group as string, priority: m.priority ?? 0, ...rest }
        : { id: '', layer: 'pc', pc: m.pc as string, ...rest };
  return { ok: true, value: { ...manifest, id: layerId(manifest) } };
};

/** Parses one or many YAML documents into config manifests, or every issue with its line and column. */
export const parseConfigYaml = (text: string, source?: string): Parsed<ConfigManifest[]> =>
  parseYamlManifests(text, 'config layer', parseConfigValue, source);

/** Parses a JSON body: one config manifest or an array of them. */
export const parseConfigJson = (value: unknown, source?: string): Parsed<ConfigManifest[]> =>
  parseJsonManifests(value, 'config layer', parseConfigValue, source);

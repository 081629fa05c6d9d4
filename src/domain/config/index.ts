export type {
  ApplyConfigLayer,
  ConfigCommand,
  ConfigEvent,
  ConfigLayerDeleted,
  ConfigLayerSet,
  ConfigState,
  DeleteConfigLayer,
} from './decider.ts';
export { CONFIG_EVENT_TYPES, ConfigLayerNotFound, configDecider } from './decider.ts';
export type { ApplicableLayers, EffectiveValue, GroupRule, ValueSource } from './effective.ts';
export { effectiveConfig, settingsOf, sourceText } from './effective.ts';
export type { ConfigManifest, ConfigScope } from './layers.ts';
export { CONFIG_LAYERS, configKey, configStreamName, layerId, priorityOf, scopeOf } from './layers.ts';
export type { AgentSettings, ConfigKey, ConfigSettings } from './settings.ts';
export { AGENT_DEFAULTS, AGENT_LOG_LEVELS, CONFIG_KEYS } from './settings.ts';

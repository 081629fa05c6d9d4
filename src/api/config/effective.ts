import {
  AGENT_DEFAULTS,
  type AgentSettings,
  CONFIG_KEYS,
  type ConfigManifest,
  effectiveConfig,
  layerId,
} from '../../domain/config/index.ts';
import { canonicalJson } from '../../domain/shared/index.ts';
import { listConfigLayers, reportedConfig } from '../../projections/index.ts';
import type { AgentConfig } from '../contract.ts';
import type { ApiDeps } from '../env.ts';

/** How layers combine, as the API states it with every answer. */
export const CONFIG_RULE =
  'a pc layer wins over group layers, which win over the global layer; between groups, the highest priority wins, ' +
  'and at equal priority the group whose name sorts first (byte order); a key no layer sets keeps the agent’s own setting';

/**
 * The effective config of one PC, computed like the agent computes it (`effectiveConfig`), with the
 * layer each value came from and what the agent last said it runs with (its heartbeat): `in_sync`
 * says the two agree.
 */
export const agentConfig = async (deps: ApiDeps, pcId: string, groups: readonly string[]): Promise<AgentConfig> => {
  const db = deps.readModels.db();
  const wanted = [
    'global',
    ...groups.map((group) => layerId({ layer: 'group', group })),
    layerId({ layer: 'pc', pc: pcId }),
  ];
  const layers = await listConfigLayers(db, { layers: wanted });
  const manifests = layers.map((l) => l.manifest);
  const reported = await reportedConfig(db, pcId);
  // The agent's own settings as it reports them (`own`); an agent of an earlier release reports only
  // what it runs with, which stands in for them (and cannot show a deleted layer it still applies).
  const own = { ...AGENT_DEFAULTS, ...pickKnown(ownReported(reported?.config)) };
  const values = effectiveConfig(
    {
      global: manifests.find((m) => m.layer === 'global'),
      groups: manifests.filter((m) => m.layer === 'group'),
      pc: manifests.find((m): m is ConfigManifest => m.layer === 'pc'),
    },
    groups,
    own,
  );
  const settings = values.map((v) => ({
    key: v.key,
    value: v.value,
    source: v.source,
    ...(reported === undefined || !(v.key in reported.config) ? {} : { reported: reported.config[v.key] }),
  }));
  return {
    pc_id: pcId,
    groups: [...groups],
    rule: CONFIG_RULE,
    settings,
    layers: layers.map((l) => ({ layer_id: l.layer_id, updated_at: l.updated_at, updated_by: l.updated_by })),
    reported_at: reported?.at ?? null,
    in_sync:
      reported === undefined
        ? null
        : settings.every((s) => canonicalJson(s.value) === canonicalJson((s as { reported?: unknown }).reported)),
  };
};

const pickKnown = (config: Record<string, unknown> | undefined): Partial<AgentSettings> =>
  config === undefined
    ? {}
    : (Object.fromEntries(
        CONFIG_KEYS.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]),
      ) as Partial<AgentSettings>);

const ownReported = (config: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
  const own = config?.own;
  return own !== null && typeof own === 'object' && !Array.isArray(own) ? (own as Record<string, unknown>) : config;
};

import type { Kysely } from 'kysely';
import type { ConfigManifest } from '../../domain/config/index.ts';
import type { ReadModels } from '../schema.ts';

/** A config layer as the API shows it. */
export type ConfigLayerView = {
  layer_id: string;
  manifest: ConfigManifest;
  updated_at: string;
  updated_by: string;
  seq: number;
};

/** Every layer in force: global first, then groups, then PCs, each by name. */
export const listConfigLayers = async (
  db: Kysely<ReadModels>,
  filter: { layers?: readonly string[] } = {},
): Promise<ConfigLayerView[]> => {
  let query = db.selectFrom('config_layers').selectAll();
  if (filter.layers !== undefined) {
    if (filter.layers.length === 0) return [];
    query = query.where('layer_id', 'in', [...filter.layers]);
  }
  const rows = await query.execute();
  const rank = { global: 0, group: 1, pc: 2 } as Record<string, number>;
  return rows
    .sort(
      (a, b) => (rank[a.layer] ?? 3) - (rank[b.layer] ?? 3) || (a.name ?? '').localeCompare(b.name ?? '', 'en') || 0,
    )
    .map((r) => ({
      layer_id: r.layer_id,
      manifest: JSON.parse(r.manifest) as ConfigManifest,
      updated_at: r.updated_at,
      updated_by: r.updated_by,
      seq: r.seq,
    }));
};

/** What an agent last said it runs with (its heartbeat's config), or undefined. */
export const reportedConfig = async (
  db: Kysely<ReadModels>,
  pcId: string,
): Promise<{ config: Record<string, unknown>; at: string } | undefined> => {
  const row = await db
    .selectFrom('agent_heartbeats')
    .select(['config', 'at'])
    .where('pc_id', '=', pcId)
    .executeTakeFirst();
  if (row?.config === null || row?.config === undefined) return undefined;
  return { config: JSON.parse(row.config) as Record<string, unknown>, at: row.at };
};

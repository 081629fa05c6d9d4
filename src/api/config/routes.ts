import { type Context, Hono } from 'hono';
import { readModelsCaughtUp } from '../../app/readModels.ts';
import { type ConfigManifest, type ConfigScope, layerId } from '../../domain/config/index.ts';
import { isGroupName, isPcId } from '../../domain/shared/index.ts';
import { getAgent, listAgents, listConfigLayers } from '../../projections/index.ts';
import { readConfigManifests } from '../body.ts';
import { commitFor } from '../commit.ts';
import type { ConfigLayerList } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { flag } from '../query.ts';
import { configCatalog } from './catalog.ts';
import { CONFIG_RULE } from './effective.ts';

const badName = (what: string, name: string) =>
  new RequestRejected(404, 'config-layer-not-found', `config layer ${what}/${name} does not exist`);

/** `/api/config`: layered agent configuration. Writes become events; reads come from the read models. */
export const configRoutes = (deps: ApiDeps) => {
  const remove = async (c: Context<ApiEnv>, scope: ConfigScope) =>
    c.json(
      await configCatalog.run(
        deps.store,
        { type: 'DeleteConfigLayer', data: { layer: layerId(scope) } },
        commitFor(c, deps),
      ),
    );
  return new Hono<ApiEnv>()
    .post('/', async (c) => {
      const { manifests } = await readConfigManifests(c);
      const dryRun = flag('dry_run', c.req.query('dry_run'));
      const prune = flag('prune', c.req.query('prune')) ? await layersMissingFrom(deps, manifests) : [];
      const layers = await configCatalog.applyAll(deps.store, { manifests, prune, dryRun }, () => commitFor(c, deps));
      const created = !dryRun && layers.some((l) => l.status === 'created');
      return c.json(
        {
          layers,
          seq: Math.max(0, ...layers.map((l) => l.seq)),
          dry_run: dryRun,
          warnings: await nobodyThere(deps, manifests),
        },
        created ? 201 : 200,
      );
    })
    .get('/', async (c) =>
      c.json({ layers: await listConfigLayers(deps.readModels.db()), rule: CONFIG_RULE } satisfies ConfigLayerList),
    )
    .delete('/global', (c) => remove(c, { layer: 'global' }))
    .delete('/group/:group', (c) => {
      const group = c.req.param('group');
      if (!isGroupName(group)) throw badName('group', group);
      return remove(c, { layer: 'group', group });
    })
    .delete('/pc/:pcId', (c) => {
      const pc = c.req.param('pcId');
      if (!isPcId(pc)) throw badName('pc', pc);
      return remove(c, { layer: 'pc', pc });
    });
};

const layersMissingFrom = async (deps: ApiDeps, manifests: readonly ConfigManifest[]): Promise<string[]> => {
  if (manifests.length === 0)
    throw new RequestRejected(
      422,
      'empty-prune',
      'refusing to prune with no manifests: that would delete every config layer',
      [{ path: '', message: 'send at least one manifest with prune=true' }],
    );
  await readModelsCaughtUp(deps);
  const keep = new Set(manifests.map((m) => m.id));
  return (await listConfigLayers(deps.readModels.db())).map((l) => l.layer_id).filter((id) => !keep.has(id));
};

// A layer for a group nobody is in, or a PC that never enrolled, is kept (it applies once they come),
// but said: it is also what a typo looks like.
const nobodyThere = async (deps: ApiDeps, manifests: readonly ConfigManifest[]): Promise<string[]> => {
  const named = manifests.filter((m) => m.layer !== 'global');
  if (named.length === 0) return [];
  await readModelsCaughtUp(deps);
  const warnings: string[] = [];
  const db = deps.readModels.db();
  const now = deps.now();
  for (const m of named) {
    const found =
      m.layer === 'group'
        ? (await listAgents(db, { now, group: m.group, limit: 1, offset: 0 })).agents.length > 0
        : (await getAgent(db, m.pc, now)) !== undefined;
    if (!found)
      warnings.push(
        m.layer === 'group'
          ? `no agent is in group ${m.group} yet: layer ${m.id} applies once one is`
          : `no agent ${m.pc} has enrolled yet: layer ${m.id} applies once it does`,
      );
  }
  return warnings;
};

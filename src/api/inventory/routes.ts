import { Hono } from 'hono';
import { SelectorInvalid } from '../../domain/execs/index.ts';
import { matches, parseSelector } from '../../domain/selectors/index.ts';
import { BUILT_IN, inventoryJobs, inventoryPage, selectorFacts, targetableAgents } from '../../projections/index.ts';
import type { Inventory } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { integer } from '../query.ts';

/**
 * `GET /api/inventory[?job=J&q=&limit=&offset=]`: facts per PC as a table — an inventory job's
 * `display` columns (or the built-in facts' without `job`), paged by pc id, with the manifest's
 * `summary` fields counted over the whole fleet.
 */
export const inventoryRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>().get('/', async (c) => {
    const source = c.req.query('job') ?? BUILT_IN;
    const q = c.req.query('q');
    const where = c.req.query('where');
    const db = deps.readModels.db();
    const page = await inventoryPage(db, {
      source,
      ...(q === undefined ? {} : { q }),
      ...(where === undefined ? {} : { keep: await selected(db, where, deps.now()) }),
      limit: integer('limit', c.req.query('limit'), 1, 1000) ?? 100,
      offset: integer('offset', c.req.query('offset'), 0, Number.MAX_SAFE_INTEGER) ?? 0,
    });
    if (page === undefined)
      throw new RequestRejected(404, 'job-not-found', `job ${source} is not an inventory job (a job with inventory:)`);
    c.header('X-Total-Count', String(page.total));
    return c.json({ ...page, sources: [BUILT_IN, ...(await inventoryJobs(db))] } satisfies Inventory);
  });

// Which PCs a `where` selector keeps: judged on each approved agent's groups and facts.
const selected = async (db: ReturnType<ApiDeps['readModels']['db']>, where: string, now: Date) => {
  const parsed = parseSelector(where); // refuses more than 4 KiB itself
  if (!parsed.ok) throw new SelectorInvalid(parsed.issues);
  const agents = await targetableAgents(db, now);
  const facts = await selectorFacts(
    db,
    agents.map((a) => a.pc_id),
  );
  const kept = new Set(
    agents
      .filter((a) => matches(parsed.selector, { pc_id: a.pc_id, groups: a.groups, facts: facts.get(a.pc_id) ?? {} }))
      .map((a) => a.pc_id),
  );
  return (pcId: string) => kept.has(pcId);
};

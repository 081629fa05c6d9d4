import { Hono } from 'hono';
import { BUILT_IN, inventoryJobs, inventoryPage } from '../../projections/index.ts';
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
    const db = deps.readModels.db();
    const page = await inventoryPage(db, {
      source,
      ...(q === undefined ? {} : { q }),
      limit: integer('limit', c.req.query('limit'), 1, 1000) ?? 100,
      offset: integer('offset', c.req.query('offset'), 0, Number.MAX_SAFE_INTEGER) ?? 0,
    });
    if (page === undefined)
      throw new RequestRejected(404, 'job-not-found', `job ${source} is not an inventory job (a job with inventory:)`);
    c.header('X-Total-Count', String(page.total));
    return c.json({ ...page, sources: [BUILT_IN, ...(await inventoryJobs(db))] } satisfies Inventory);
  });

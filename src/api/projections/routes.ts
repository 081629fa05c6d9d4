import { Hono } from 'hono';
import type { ApiDeps, ApiEnv } from '../env.ts';

/** `/api/projections`: read-model status, and blue/green rebuilds. */
export const projectionRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', (c) => c.json(deps.readModels.status()))
    .post('/rebuild', (c) => {
      const done = deps.readModels.rebuild();
      done.catch((error: unknown) => deps.log.error('read-model rebuild failed', { error }));
      deps.log.info('read-model rebuild requested', { actor: c.get('actor') });
      return c.json(deps.readModels.status(), 202);
    });

import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { meRoutes, sessionRoutes, tokenRoutes, userRoutes } from './accounts/routes.ts';
import { agentRoutes, groupRoutes } from './agents/routes.ts';
import { guard } from './auth.ts';
import { catalogProblem } from './catalog/problems.ts';
import { configRoutes } from './config/routes.ts';
import { consistentReads } from './consistency.ts';
import { enrollmentTokenRoutes } from './enrollment/routes.ts';
import type { ApiDeps, ApiEnv } from './env.ts';
import { eventRoutes } from './events/routes.ts';
import { approvalRoutes, execRoutes, executionRoutes } from './execs/routes.ts';
import { fleetRoutes } from './fleet/routes.ts';
import { healthRoutes } from './health/routes.ts';
import { inventoryRoutes } from './inventory/routes.ts';
import { jobRoutes } from './jobs/routes.ts';
import { measureRequests, metricsRoutes } from './metrics/routes.ts';
import { problemResponse, toProblem } from './problem.ts';
import { projectionRoutes } from './projections/routes.ts';
import { resultRoutes } from './results/routes.ts';
import { scheduleRoutes } from './schedules/routes.ts';

/** The HTTP API: queries read SQLite read models, writes become events; every error is problem+json. */
export const createApp = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .use(deps.metrics === undefined ? passThrough : measureRequests(deps.metrics))
    .use(secureHeaders())
    .route('/health', healthRoutes(deps))
    .route('/metrics', deps.metrics === undefined ? new Hono<ApiEnv>() : metricsRoutes(deps, deps.metrics))
    .use('/api/*', guard(deps))
    .use('/api/*', consistentReads(deps))
    .use('/api/*', limitBodies)
    .route('/api/me', meRoutes())
    .route('/api/sessions', sessionRoutes(deps))
    .route('/api/users', userRoutes(deps))
    .route('/api/tokens', tokenRoutes(deps))
    .route('/api/approvals', approvalRoutes(deps))
    .route('/api/jobs', jobRoutes(deps))
    .route('/api', execRoutes(deps))
    .route('/api/executions', executionRoutes(deps))
    .route('/api/results', resultRoutes(deps))
    .route('/api/agents', agentRoutes(deps))
    .route('/api/groups', groupRoutes(deps))
    .route('/api/inventory', inventoryRoutes(deps))
    .route('/api/enrollment-tokens', enrollmentTokenRoutes(deps))
    .route('/api/fleet', fleetRoutes(deps))
    .route('/api/schedules', scheduleRoutes(deps))
    .route('/api/config', configRoutes(deps))
    .route('/api/events', eventRoutes(deps))
    .route('/api/projections', projectionRoutes(deps))
    .notFound((c) => problemResponse(c, { type: 'about:blank', title: 'Not Found', status: 404 }))
    .onError((error, c) => {
      const problem = catalogProblem(error) ?? toProblem(error);
      if (problem.status === 500) deps.log.error('request failed', { path: c.req.path, error, stack: error.stack });
      else if (problem.status >= 500) deps.log.warn('request refused', { path: c.req.path, error });
      return problemResponse(c, problem);
    });

const passThrough: MiddlewareHandler<ApiEnv> = (_c, next) => next();

// Writes are small JSON bodies, except manifests posted to the catalogs (up to 8 MiB: many manifests
// at once) and execs (up to 4 MiB: a target may name tens of thousands of PCs).
const smallBody = bodyLimit({ maxSize: 64 * 1024 });
const execBody = bodyLimit({ maxSize: 4 * 1024 * 1024 });
const manifestBody = bodyLimit({ maxSize: 8 * 1024 * 1024 });
const limitBodies: MiddlewareHandler<ApiEnv> = async function limitBodies(c, next) {
  if (c.req.method !== 'POST') return smallBody(c, next);
  if (c.req.path === '/api/jobs' || c.req.path === '/api/schedules') return manifestBody(c, next);
  return c.req.path.startsWith('/api/exec/') ? execBody(c, next) : smallBody(c, next);
};

/** The API app type. */
export type App = ReturnType<typeof createApp>;

import { Hono, type MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';
import { guard } from '../auth.ts';
import type { ApiDeps, ApiEnv, ApiMetrics } from '../env.ts';

/**
 * Times every request by method, route pattern and status. The route is the pattern Hono matched
 * (`/api/executions/:id`), never the raw path, so a fleet of PCs cannot explode the label set; a
 * request no route matched is labelled with the middleware pattern that saw it (`/api/*`).
 */
export const measureRequests = (metrics: ApiMetrics): MiddlewareHandler<ApiEnv> =>
  async function measureRequest(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      metrics.httpRequestDuration.observe(
        { method: c.req.method, route: routeOf(c), status: String(c.res.status) },
        (performance.now() - started) / 1000,
      );
    }
  };

// The last handler route matched (middlewares are registered as method ALL), else the last pattern seen.
const routeOf = (c: Parameters<MiddlewareHandler>[0]): string => {
  const handler = matchedRoutes(c).findLast((r) => r.method !== 'ALL');
  return handler?.path ?? routePath(c, -1) ?? 'unmatched';
};

/** `GET /metrics`: the Prometheus text format, behind the API's bearer token unless made public. */
export const metricsRoutes = (deps: ApiDeps, metrics: ApiMetrics) => {
  const app = new Hono<ApiEnv>();
  if (metrics.public !== true) app.use('/', guard(deps));
  return app.get('/', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }),
  );
};

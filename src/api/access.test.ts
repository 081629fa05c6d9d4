import { describe, expect, it } from 'vitest';
import { ROUTE_ACCESS } from './access.ts';
import { createApp } from './app.ts';
import type { ApiDeps } from './env.ts';

// The app's routes, as registered (middlewares are method ALL). Building the app touches no dependency.
const app = createApp({
  auth: { kind: 'insecure' },
  metrics: { registry: {}, httpRequestDuration: {} },
} as never as ApiDeps);
const routes = [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];

describe('the route table', () => {
  it('declares the role of every route the API serves', () => {
    const undeclared = routes.filter((r) => ROUTE_ACCESS[r] === undefined && r !== 'GET /health');
    expect(undeclared).toEqual([]);
  });

  it('names no route the API does not serve', () => {
    expect(Object.keys(ROUTE_ACCESS).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('lets nobody in without a token but to sign in', () => {
    expect(Object.entries(ROUTE_ACCESS).filter(([, a]) => a === 'public')).toEqual([['POST /api/sessions', 'public']]);
  });
});

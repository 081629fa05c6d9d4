import type { Role } from '../domain/accounts/index.ts';

/** Who may call a route: nobody signed in (`public`), or at least a role. */
export type Access = Role | 'public';

/**
 * The role every route needs, keyed `METHOD /path` exactly as the app registers it. A route missing
 * here is refused to everyone (and fails `access.test.ts`, which walks the app's routes); the role
 * matrix test is generated from this table.
 */
export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  // Who am I, and signing in and out.
  'GET /api/me': 'viewer',
  'POST /api/sessions': 'public',
  'DELETE /api/sessions/current': 'viewer',
  // Reading the fleet.
  'GET /api/agents': 'viewer',
  'GET /api/agents/:pcId': 'viewer',
  'GET /api/agents/:pcId/facts': 'viewer',
  'GET /api/agents/:pcId/config': 'viewer',
  'GET /api/config': 'viewer',
  'GET /api/groups': 'viewer',
  'GET /api/inventory': 'viewer',
  'GET /api/events': 'viewer',
  'GET /api/events/:seq': 'viewer',
  'GET /api/executions': 'viewer',
  'GET /api/executions/:execId': 'viewer',
  'GET /api/approvals': 'viewer',
  'GET /api/fleet': 'viewer',
  'GET /api/jobs': 'viewer',
  'GET /api/jobs/:id': 'viewer',
  'GET /api/projections': 'viewer',
  'GET /api/results': 'viewer',
  'GET /api/results/:resultId': 'viewer',
  'GET /api/schedules': 'viewer',
  'GET /api/schedules/:id': 'viewer',
  'GET /metrics': 'viewer',
  // Manifests from Git (what a CI token may do).
  'POST /api/jobs': 'applier',
  'DELETE /api/jobs/:id': 'applier',
  'POST /api/schedules': 'applier',
  'DELETE /api/schedules/:id': 'applier',
  'POST /api/config': 'applier',
  'DELETE /api/config/global': 'applier',
  'DELETE /api/config/group/:group': 'applier',
  'DELETE /api/config/pc/:pcId': 'applier',
  // Running things and stopping them.
  'POST /api/exec/:jobId': 'operator',
  'POST /api/run': 'operator',
  'POST /api/executions/:execId/kill': 'operator',
  'POST /api/executions/:execId/abort': 'operator',
  'POST /api/executions/:execId/resume': 'operator',
  'POST /api/executions/:execId/approve': 'operator',
  'POST /api/executions/:execId/reject': 'operator',
  'POST /api/jobs/:id/revoke': 'operator',
  'POST /api/jobs/:id/unrevoke': 'operator',
  'POST /api/schedules/:id/enable': 'operator',
  'POST /api/schedules/:id/disable': 'operator',
  'POST /api/fleet/halt': 'operator',
  'POST /api/fleet/resume': 'operator',
  'POST /api/agents/:pcId/ping': 'operator',
  'PUT /api/agents/:pcId/groups': 'operator',
  // Who is in the fleet, who may use kanade, and the read models themselves.
  'POST /api/agents/:pcId/approve': 'admin',
  'POST /api/agents/:pcId/reject': 'admin',
  'POST /api/agents/:pcId/terminate': 'admin',
  'GET /api/enrollment-tokens': 'admin',
  'POST /api/enrollment-tokens': 'admin',
  'DELETE /api/enrollment-tokens/:tokenId': 'admin',
  'GET /api/users': 'admin',
  'POST /api/users': 'admin',
  'PUT /api/users/:user/role': 'admin',
  'POST /api/users/:user/disable': 'admin',
  'POST /api/users/:user/enable': 'admin',
  // A user may set their own password and manage their own tokens; the handlers check whose.
  'PUT /api/users/:user/password': 'viewer',
  'GET /api/tokens': 'viewer',
  'POST /api/tokens': 'viewer',
  'DELETE /api/tokens/:tokenId': 'viewer',
  'POST /api/projections/rebuild': 'admin',
};

/** The access a route needs, or undefined when it is not declared. */
export const accessOf = (method: string, path: string): Access | undefined => ROUTE_ACCESS[`${method} ${path}`];

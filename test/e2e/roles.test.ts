import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Access, ROUTE_ACCESS } from '../../src/api/access.ts';
import { type Role, roleAtLeast } from '../../src/domain/accounts/index.ts';
import { addUser, callAs, tokenOf } from '../../src/testing/accounts.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();

// Who calls, and what each of them must be answered: refused (401), forbidden below the role, or let through.
type Caller = { name: string; role?: Role; refused?: true };
const CALLERS: Caller[] = [
  { name: 'no token', refused: true },
  { name: 'viewer', role: 'viewer' },
  { name: 'applier token', role: 'applier' },
  { name: 'operator', role: 'operator' },
  { name: 'admin', role: 'admin' },
  { name: 'disabled user', refused: true },
  { name: 'revoked token', refused: true },
  { name: 'expired token', refused: true },
];
const tokens = new Map<string, string | undefined>();

beforeAll(async () => {
  const server = sandbox.server;
  for (const [user, role] of [
    ['vera', 'viewer'],
    ['olga', 'operator'],
    ['adam', 'admin'],
    ['dora', 'operator'],
  ] as const)
    await addUser(server, user, role);
  tokens.set('no token', undefined);
  tokens.set('viewer', (await tokenOf(server, 'vera')).token);
  tokens.set('applier token', (await tokenOf(server, 'olga', { name: 'ci', role: 'applier' })).token);
  tokens.set('operator', (await tokenOf(server, 'olga')).token);
  tokens.set('admin', (await tokenOf(server, 'adam')).token);
  tokens.set('disabled user', (await tokenOf(server, 'dora')).token);
  expect((await server.api('POST', '/api/users/dora/disable', {})).status).toBe(200);
  const revoked = await tokenOf(server, 'olga', { name: 'old' });
  expect((await server.api('DELETE', `/api/tokens/${revoked.token_id}`)).status).toBe(200);
  tokens.set('revoked token', revoked.token);
  tokens.set('expired token', (await tokenOf(server, 'olga', { name: 'brief', expires: '1s' })).token);
  await sleep(1_200);
}, 30_000);

// A request every route accepts the shape of: ids that exist nowhere, and a body with a key no
// schema knows, so a route that lets the caller through answers 404 or 422 and changes nothing.
const requestOf = (route: string) => {
  const [method, pattern] = route.split(' ') as [string, string];
  const path = pattern.replace(/:[A-Za-z]+/g, 'matrix-nobody').replace('/api/users/matrix-nobody', '/api/users/nobody');
  return { method, path, body: method === 'GET' || method === 'DELETE' ? undefined : { role_matrix_probe: true } };
};

const expected = (access: Access, caller: Caller): 'through' | 401 | 403 => {
  if (access === 'public') return 'through';
  if (caller.refused === true) return 401;
  return roleAtLeast(caller.role as Role, access) ? 'through' : 403;
};

// The projections rebuild really rebuilds (harmless, blue/green); it goes last so nothing else waits on it.
const routes = Object.entries(ROUTE_ACCESS).sort(([a], [b]) =>
  a.includes('/rebuild') ? 1 : b.includes('/rebuild') ? -1 : a.localeCompare(b),
);

describe('every route × every kind of caller', () => {
  it('answers as the route table declares: 401, 403 naming the role, or lets the caller through', async () => {
    const wrong: string[] = [];
    let through = 0;
    for (const [route, access] of routes) {
      const { method, path, body } = requestOf(route);
      for (const caller of CALLERS) {
        const res = await callAs(sandbox.server, tokens.get(caller.name), method, path, body);
        const want = expected(access, caller);
        const got = res.status === 401 || res.status === 403 ? res.status : 'through';
        if (got !== want) wrong.push(`${route} as ${caller.name}: ${res.status}, expected ${want}`);
        if (res.status === 403) {
          const problem = (await res.json()) as { required_role: string; title: string };
          if (problem.required_role !== access)
            wrong.push(`${route} as ${caller.name}: 403 names ${problem.required_role}`);
        } else await res.body?.cancel();
        // A plain read a caller may make answers 2xx (the others answer 404/422 to the probe above).
        if (want === 'through' && method === 'GET' && !path.includes('matrix-nobody') && !path.includes('nobody')) {
          through++;
          if (res.status >= 300) wrong.push(`${route} as ${caller.name}: ${res.status}, expected 2xx`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(through).toBeGreaterThan(40);
  }, 120_000);

  it('refuses a role the owner does not have, and a token above its owner', async () => {
    const viewer = tokens.get('viewer');
    const res = await callAs(sandbox.server, viewer, 'POST', '/api/tokens', { role: 'operator' });
    expect(res.status).toBe(422);
    const above = await sandbox.server.api('POST', '/api/tokens', { user: 'vera', role: 'admin' });
    expect(above.status).toBe(422);
    expect(((await above.json()) as { issues: { path: string }[] }).issues).toEqual([
      expect.objectContaining({ path: 'role' }),
    ]);
  });
});

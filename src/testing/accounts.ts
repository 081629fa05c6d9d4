import type { Role } from '../domain/accounts/index.ts';
import type { TestServer } from './server.ts';

const ok = async <T>(res: Response, what: string): Promise<T> => {
  if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

/** Adds a user with a known password (as the test server's admin token). */
export const addUser = async (server: TestServer, user: string, role: Role, password = `${user}-password-long`) => {
  await ok(await server.api('POST', '/api/users', { user, role, password }), `add user ${user}`);
  return password;
};

/** A personal token of `user` (made by the admin token). */
export const tokenOf = async (
  server: TestServer,
  user: string,
  options: { name?: string; role?: Role; expires?: string } = {},
): Promise<{ token: string; token_id: string }> =>
  ok(await server.api('POST', '/api/tokens', { user, name: options.name ?? 'test', ...options }), `token of ${user}`);

/** Signs in with a name and password: the session token. */
export const signInAs = async (server: TestServer, user: string, password: string): Promise<string> =>
  (
    await ok<{ token: string }>(
      await fetch(`${server.url}/api/sessions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user, password }),
      }),
      `sign in as ${user}`,
    )
  ).token;

/** Calls the API with `token` (undefined: no Authorization header). */
export const callAs = (server: TestServer, token: string | undefined, method: string, path: string, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

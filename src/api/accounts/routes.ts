import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import {
  type AccountDeps,
  addUser,
  createApiToken,
  disableUser,
  enableUser,
  revokeApiToken,
  setPassword,
  setUserRole,
} from '../../app/accounts/users.ts';
import { ApiTokenNotFound, ROLES, roleAtLeast, SYSTEM_ACTORS, USER_NAME_PATTERN } from '../../domain/accounts/index.ts';
import { parseDuration } from '../../domain/shared/index.ts';
import { checkPassword, closeSession, openSession } from '../../infra/accounts/credentials.ts';
import { getApiToken, getUser, listApiTokens, listUsers } from '../../projections/index.ts';
import { commitFor } from '../commit.ts';
import type { ApiDeps, ApiEnv, Principal } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { problemResponse } from '../problem.ts';
import { createThrottle } from '../throttle.ts';
import { validBody } from '../validate.ts';

const userName = v.pipe(
  v.string('must be a user name'),
  v.regex(USER_NAME_PATTERN, 'must be 1-64 characters of a-z, 0-9, ., _ and -, starting with a letter'),
);
const role = v.picklist(ROLES, `must be one of ${ROLES.join(', ')}`);
const password = v.pipe(
  v.string('must be a string'),
  v.minLength(12, 'must be at least 12 characters'),
  v.maxLength(256, 'must be at most 256 characters'),
);
const duration = v.pipe(
  v.string(),
  v.check((d) => (parseDuration(d) ?? 0) > 0, 'must be a duration such as 30d or 12h'),
);

const accountDeps = (deps: ApiDeps): AccountDeps => ({
  store: deps.store,
  readModels: deps.readModels,
  credentials: deps.credentials,
  newId: deps.newId,
  now: deps.now,
});

/** `GET /api/me`: who the caller is and what role they act with (the dashboard shows what it allows). */
export const meRoutes = () =>
  new Hono<ApiEnv>().get('/', (c) => {
    const { actor, role, user } = c.get('principal');
    return c.json({ actor, role, user: user ?? null });
  });

// Sign-in throttling: per account, and (more loosely) per client address.
const byAccount = createThrottle({ free: 5, capSeconds: 15 * 60 });
const byAddress = createThrottle({ free: 20, capSeconds: 15 * 60 });

const addressOf = (c: Context): string => {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // called in process, with no socket (tests)
  }
};

/**
 * `/api/sessions`: signing in with a name and password opens a session (its token goes in the
 * dashboard's httpOnly cookie); signing out ends it. Wrong passwords are throttled per account and
 * per address (429 with Retry-After).
 */
export const sessionRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .post('/', async (c) => {
      const body = await validBody(
        c,
        v.strictObject({ user: v.pipe(v.string(), v.maxLength(64)), password: v.pipe(v.string(), v.maxLength(256)) }),
      );
      const now = deps.now().getTime();
      const keys = [`user:${body.user}`, `addr:${addressOf(c)}`];
      const wait = Math.max(byAccount.waitFor(keys[0] as string, now), byAddress.waitFor(keys[1] as string, now));
      if (wait > 0)
        return problemResponse(c, {
          type: '/problems/sign-in-throttled',
          title: `too many failed sign-ins: try again in ${wait} s`,
          status: 429,
          retryAfter: wait,
        });
      const user = await getUser(deps.readModels.db(), body.user);
      const matches = await checkPassword(deps.credentials, body.user, body.password);
      if (user === undefined || user.disabled || !matches) {
        byAccount.failed(keys[0] as string, now);
        byAddress.failed(keys[1] as string, now);
        return problemResponse(c, {
          type: '/problems/sign-in-failed',
          title: 'wrong user name or password (or the account is disabled)',
          status: 401,
        });
      }
      byAccount.succeeded(keys[0] as string);
      const session = await openSession(deps.credentials, deps.newId(), user.user, deps.now());
      return c.json({ user: user.user, role: user.role, ...session }, 201);
    })
    .delete('/current', async (c) => {
      const session = c.get('principal').session;
      if (session !== undefined) await closeSession(deps.credentials, session);
      return c.json({ status: session === undefined ? 'unchanged' : 'signed-out' });
    });

// A user manages what is their own; an admin manages everybody's.
const ownOrAdmin = (principal: Principal, user: string) => {
  if (principal.role === 'admin' || principal.user === user) return;
  throw new RequestRejected(403, 'forbidden', `only ${user} or an admin may do this`);
};

const knownUser = async (deps: ApiDeps, user: string) => {
  const found = USER_NAME_PATTERN.test(user) ? await getUser(deps.readModels.db(), user) : undefined;
  if (found === undefined) throw new RequestRejected(404, 'user-not-found', `no user ${user}`);
  return found;
};

/** `/api/users`: accounts (admin), and a user's own password. */
export const userRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', async (c) => c.json({ users: await listUsers(deps.readModels.db()) }))
    .post('/', async (c) => {
      const body = await validBody(c, v.strictObject({ user: userName, role, password: v.optional(password) }));
      const reserved = deps.auth.kind === 'tokens' ? [...deps.auth.tokens.keys()] : [];
      if ([...SYSTEM_ACTORS, ...reserved].includes(body.user))
        throw new RequestRejected(422, 'invalid-body', `${body.user} is a name the server uses itself`, [
          { path: 'user', message: 'is reserved' },
        ]);
      const added = await addUser(accountDeps(deps), body, commitFor(c, deps));
      return c.json(added, added.status === 'created' ? 201 : 200);
    })
    .put('/:user/role', async (c) => {
      const { user } = await knownUser(deps, c.req.param('user'));
      const body = await validBody(c, v.strictObject({ role }));
      return c.json(await setUserRole(accountDeps(deps), user, body.role, commitFor(c, deps)));
    })
    .post('/:user/disable', async (c) => {
      const { user } = await knownUser(deps, c.req.param('user'));
      const body = await validBody(c, v.strictObject({ reason: v.optional(v.pipe(v.string(), v.maxLength(500))) }));
      return c.json(await disableUser(accountDeps(deps), user, body.reason, commitFor(c, deps)));
    })
    .post('/:user/enable', async (c) => {
      const { user } = await knownUser(deps, c.req.param('user'));
      await validBody(c, v.strictObject({}));
      return c.json(await enableUser(accountDeps(deps), user, commitFor(c, deps)));
    })
    .put('/:user/password', async (c) => {
      const { user } = await knownUser(deps, c.req.param('user'));
      ownOrAdmin(c.get('principal'), user);
      const body = await validBody(c, v.strictObject({ password }));
      return c.json(await setPassword(accountDeps(deps), user, body.password, commitFor(c, deps)));
    });

/** `/api/tokens`: personal API tokens; a user sees and manages their own, an admin everybody's. */
export const tokenRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', async (c) => {
      const principal = c.get('principal');
      const asked = c.req.query('user');
      if (asked !== undefined) ownOrAdmin(principal, asked);
      const user = asked ?? (principal.role === 'admin' ? undefined : principal.user);
      if (user === undefined && principal.role !== 'admin') return c.json({ tokens: [] });
      return c.json({ tokens: await listApiTokens(deps.readModels.db(), user) });
    })
    .post('/', async (c) => {
      const principal = c.get('principal');
      const body = await validBody(
        c,
        v.strictObject({
          user: v.optional(userName),
          name: v.optional(
            v.pipe(
              v.string(),
              v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _, . and -'),
            ),
          ),
          role: v.optional(role),
          expires: v.optional(duration),
        }),
      );
      const user = body.user ?? principal.user;
      if (user === undefined)
        throw new RequestRejected(422, 'invalid-body', 'say whose token this is', [
          { path: 'user', message: 'is required with a server token' },
        ]);
      ownOrAdmin(principal, user);
      const owner = await knownUser(deps, user);
      // A token never does more than who made it, nor than its owner (the decider checks the owner).
      const asked = body.role ?? owner.role;
      if (!roleAtLeast(principal.role, asked))
        throw new RequestRejected(422, 'role-above-owner', `you (${principal.role}) cannot create a ${asked} token`, [
          { path: 'role', message: `must be ${principal.role} or lower` },
        ]);
      const expiresAt =
        body.expires === undefined
          ? null
          : new Date(deps.now().getTime() + (parseDuration(body.expires) ?? 0) * 1000).toISOString();
      const created = await createApiToken(
        accountDeps(deps),
        { user, name: body.name ?? 'token', role: asked, expiresAt },
        commitFor(c, deps),
      );
      return c.json(created, 201);
    })
    .delete('/:tokenId', async (c) => {
      const id = c.req.param('tokenId');
      const token = /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id) ? await getApiToken(deps.readModels.db(), id) : undefined;
      if (token === undefined) throw new ApiTokenNotFound(id);
      ownOrAdmin(c.get('principal'), token.user);
      const revoked = await revokeApiToken(accountDeps(deps), token.user, id, commitFor(c, deps));
      return c.json({ token_id: id, status: revoked.status === 'changed' ? 'revoked' : 'unchanged', seq: revoked.seq });
    });

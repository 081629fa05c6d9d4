import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { lowerRole, type Role, roleAtLeast } from '../domain/accounts/index.ts';
import { checkPersonalToken, parseCredential, sessionOf } from '../infra/accounts/credentials.ts';
import { getApiToken, getUser } from '../projections/index.ts';
import { accessOf } from './access.ts';
import type { ApiDeps, ApiEnv, Principal, TokenTable } from './env.ts';
import { problemResponse } from './problem.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Finds which named token `presented` is, comparing in constant time. */
export const actorForToken = (tokens: TokenTable, presented: string): string | undefined => {
  const given = digest(presented);
  let match: string | undefined;
  for (const [name, token] of tokens) {
    if (timingSafeEqual(digest(token), given)) match = name;
  }
  return match;
};

/** Who a bearer string is, or why it opens nothing (said only to whoever holds a real secret). */
type Identified = Principal | { refused: string };

const UNKNOWN = { refused: 'a valid bearer token is required' };

/**
 * Who presented `bearer`. The server's own tokens (KANADE_TOKEN, KANADE_TOKENS) are admins; a
 * personal token acts as its owner with the lower of its role and the owner's; a session as its user.
 * Role, disabled state, revocation and expiry are read on every request.
 */
export const identify = async (
  deps: Pick<ApiDeps, 'auth' | 'credentials' | 'readModels' | 'now'>,
  bearer: string,
): Promise<Identified> => {
  if (deps.auth.kind === 'insecure') return { actor: 'anonymous', role: 'admin' };
  const credential = parseCredential(bearer);
  if (credential === undefined) {
    const name = actorForToken(deps.auth.tokens, bearer);
    return name === undefined ? UNKNOWN : { actor: name, role: 'admin' };
  }
  const db = deps.readModels.db();
  const now = deps.now();
  if (credential.kind === 'token') {
    const token = await getApiToken(db, credential.id);
    if (token === undefined || !(await checkPersonalToken(deps.credentials, credential.id, credential.secret)))
      return UNKNOWN;
    if (token.revoked_at !== null) return { refused: `token ${token.name} of ${token.user} was revoked` };
    if (token.expires_at !== null && token.expires_at <= now.toISOString())
      return { refused: `token ${token.name} of ${token.user} expired at ${token.expires_at}` };
    const owner = await getUser(db, token.user);
    if (owner === undefined || owner.disabled) return { refused: `user ${token.user} is disabled` };
    return { actor: `${token.user}:${token.name}`, role: lowerRole(token.role, owner.role), user: token.user };
  }
  const session = await sessionOf(deps.credentials, credential.id, credential.secret, now);
  if (session === undefined) return { refused: 'the session is over: sign in again' };
  const user = await getUser(db, session.user);
  if (user === undefined || user.disabled) return { refused: `user ${session.user} is disabled` };
  if (session.opened_at < user.sessions_from) return { refused: 'the session is over: sign in again' };
  return { actor: user.user, role: user.role, user: user.user, session: credential.id };
};

/** The bearer string of a request: exactly "Bearer <token>", spaces or tabs only, a non-empty token. */
export const bearerOf = (c: Context): string | undefined =>
  /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(c.req.header('Authorization') ?? '')?.[1];

const unauthorized = (c: Context, title: string) => {
  c.header('WWW-Authenticate', 'Bearer realm="kanade"');
  return problemResponse(c, { type: '/problems/unauthorized', title, status: 401 });
};

const forbidden = (c: Context, principal: Principal, needed: Role | undefined) =>
  problemResponse(c, {
    type: '/problems/forbidden',
    title:
      needed === undefined
        ? `${c.req.method} ${c.req.path} has no role declared, so nobody may call it`
        : `this needs the ${needed} role; ${principal.actor} has ${principal.role}`,
    status: 403,
    extensions: { required_role: needed ?? null, role: principal.role },
  });

/**
 * Authenticates the request and checks the role its route declares (src/api/access.ts): 401 for no
 * valid credential, 403 problem+json naming the role needed. The principal's name is the actor of
 * every event the request causes.
 */
export const guard = (deps: Pick<ApiDeps, 'auth' | 'credentials' | 'readModels' | 'now'>): MiddlewareHandler<ApiEnv> =>
  async function guardRequest(c, next) {
    const endpoint = matchedRoutes(c).findLast((r) => r.method !== 'ALL');
    const access = endpoint === undefined ? 'viewer' : accessOf(endpoint.method, endpoint.path);
    if (access === 'public') return next();
    const bearer = bearerOf(c);
    const who = deps.auth.kind === 'insecure' || bearer !== undefined ? await identify(deps, bearer ?? '') : UNKNOWN;
    if ('refused' in who) return unauthorized(c, who.refused);
    c.set('principal', who);
    c.set('actor', who.actor);
    if (access === undefined || !roleAtLeast(who.role, access)) return forbidden(c, who, access);
    return next();
  };

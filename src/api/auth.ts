import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv, AuthMode, TokenTable } from './env.ts';
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

/** Requires `Authorization: Bearer <token>` and records the token's name as the request's actor. */
export const authenticate = (mode: AuthMode): MiddlewareHandler<ApiEnv> =>
  async function authenticateRequest(c, next) {
    if (mode.kind === 'insecure') {
      c.set('actor', 'anonymous');
      return next();
    }
    // Exactly "Bearer <token>": spaces or tabs only, and a non-empty token.
    const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(c.req.header('Authorization') ?? '');
    const actor = match?.[1] === undefined ? undefined : actorForToken(mode.tokens, match[1]);
    if (actor === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="kanade"');
      return problemResponse(c, {
        type: '/problems/unauthorized',
        title: 'a valid bearer token is required',
        status: 401,
      });
    }
    c.set('actor', actor);
    return next();
  };

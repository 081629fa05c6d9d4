import type { Context } from 'hono';
import type { CommitContext } from '../infra/eventStore/index.ts';
import type { ApiDeps, ApiEnv } from './env.ts';

/** The channel a request says it came from (X-Kanade-Source: cli, dashboard, ci…), sanitized; `api` otherwise. */
export const sourceOf = (c: Context<ApiEnv>): string => {
  const source = c.req.header('X-Kanade-Source')?.toLowerCase() ?? '';
  return /^[a-z0-9-]{1,32}$/.test(source) ? source : 'api';
};

/** A fresh commit context for one command of this request: who, when, through what. */
export const commitFor = (c: Context<ApiEnv>, deps: ApiDeps): CommitContext => ({
  id: deps.newId(),
  actor: c.get('actor'),
  at: deps.now().toISOString(),
  via: sourceOf(c),
});

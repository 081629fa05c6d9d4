import { Hono } from 'hono';
import * as v from 'valibot';
import { createEnrollmentToken, revokeEnrollmentToken } from '../../app/enrollment/tokens.ts';
import { parseDuration } from '../../domain/shared/index.ts';
import { groupNameSchema } from '../../manifests/index.ts';
import { listEnrollmentTokens } from '../../projections/index.ts';
import { commitFor } from '../commit.ts';
import type { EnrollmentTokenList } from '../contract.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { RequestRejected } from '../errors.ts';
import { validBody } from '../validate.ts';

const createBody = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _, . and -')),
  auto_approve: v.optional(v.boolean('must be true or false'), false),
  groups: v.optional(v.pipe(v.array(groupNameSchema, 'must be a list of group names'), v.maxLength(100)), []),
  expires: v.optional(
    v.pipe(
      v.string(),
      v.check((d) => (parseDuration(d) ?? 0) > 0, 'must be a duration such as 30d or 12h'),
    ),
  ),
});

/**
 * `/api/enrollment-tokens`: the tokens agents are installed with. The secret is in the answer to the
 * create request only; the stream records that a token exists, never the secret.
 */
export const enrollmentTokenRoutes = (deps: ApiDeps) =>
  new Hono<ApiEnv>()
    .get('/', async (c) =>
      c.json({ tokens: await listEnrollmentTokens(deps.readModels.db()) } satisfies EnrollmentTokenList),
    )
    .post('/', async (c) => {
      const body = await validBody(c, createBody);
      const expiresAt =
        body.expires === undefined
          ? null
          : new Date(deps.now().getTime() + (parseDuration(body.expires) ?? 0) * 1000).toISOString();
      const created = await createEnrollmentToken(
        { store: deps.store, secrets: deps.secrets, newId: deps.newId },
        { name: body.name, autoApprove: body.auto_approve, expiresAt, groups: body.groups },
        commitFor(c, deps),
      );
      return c.json(created, 201);
    })
    .delete('/:tokenId', async (c) => {
      const id = c.req.param('tokenId');
      if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))
        throw new RequestRejected(404, 'enrollment-token-not-found', `no enrollment token ${id}`);
      const revoked = await revokeEnrollmentToken({ store: deps.store }, id, commitFor(c, deps));
      return c.json({ token_id: id, status: revoked.changed ? 'revoked' : 'unchanged', seq: revoked.seq });
    });

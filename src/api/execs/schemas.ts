import * as v from 'valibot';
import { RUN_AS, SHELLS } from '../../domain/jobs/index.ts';
import {
  boundedDuration,
  fanoutEntries,
  groupNameSchema,
  hasTargetOrRollout,
  pcIdSchema,
} from '../../manifests/index.ts';

/**
 * `POST /api/exec/:jobId`: a target, waves (optionally scoped by a target), a `where` selector over
 * facts and groups (within the target; alone, within every online agent), jitter, starting deadline.
 */
export const execBodySchema = v.pipe(
  v.strictObject({
    ...fanoutEntries,
    where: v.optional(v.pipe(v.string('must be a selector'), v.maxLength(4096, 'is longer than 4 KiB'))),
  }),
  v.check(
    (body) => hasTargetOrRollout(body) || body.where !== undefined,
    'name a target, a rollout, a where selector, or both',
  ),
);

/** `POST /api/run`: an ad-hoc script on one PC. */
export const runBodySchema = v.strictObject({
  pc_id: pcIdSchema,
  shell: v.optional(v.picklist(SHELLS, `must be one of ${SHELLS.join(', ')}`), 'sh'),
  script: v.pipe(
    v.string(),
    v.check((s) => s.trim() !== '', 'must not be empty'),
    v.maxLength(256 * 1024, 'is larger than 256 KiB'),
  ),
  timeout: v.optional(boundedDuration(1, 7 * 86_400), '1m'),
  cwd: v.optional(v.string()),
  run_as: v.optional(v.picklist(RUN_AS), 'system'),
});

/** `POST /api/executions/:id/kill|abort` and `POST /api/jobs/:id/revoke`. */
export const reasonBodySchema = v.strictObject({ reason: v.optional(v.pipe(v.string(), v.maxLength(500))) });

/** `PUT /api/agents/:pc/groups`. */
export const groupsBodySchema = v.strictObject({
  groups: v.pipe(v.array(groupNameSchema, 'must be a list of group names'), v.maxLength(100)),
});

/** `POST /api/agents/:pc/reject`: why, and (as the dashboard sends it) the key the operator saw. */
export const rejectBodySchema = v.strictObject({
  reason: v.optional(v.pipe(v.string(), v.maxLength(500))),
  public_key: v.optional(
    v.pipe(v.string(), v.regex(/^U[A-Z2-7]{55}$/, 'must be the agent public key the request showed')),
  ),
});

/** `POST /api/agents/:pc/approve`: optionally the groups to give it (else those it asked for or had). */
export const approveBodySchema = v.strictObject({
  groups: v.optional(v.pipe(v.array(groupNameSchema, 'must be a list of group names'), v.maxLength(100))),
  public_key: v.optional(
    v.pipe(v.string(), v.regex(/^U[A-Z2-7]{55}$/, 'must be the agent public key the request showed')),
  ),
});

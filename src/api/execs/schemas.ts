import * as v from 'valibot';
import { RUN_AS, SHELLS } from '../../domain/jobs/index.ts';
import {
  boundedDuration,
  fanoutEntries,
  groupNameSchema,
  hasTargetOrRollout,
  pcIdSchema,
} from '../../manifests/index.ts';

/** `POST /api/exec/:jobId`: a target, waves (optionally scoped by a target), jitter, starting deadline. */
export const execBodySchema = v.pipe(
  v.strictObject(fanoutEntries),
  v.check((body) => hasTargetOrRollout(body), 'name a target, a rollout, or both'),
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

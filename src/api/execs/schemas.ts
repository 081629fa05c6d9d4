import * as v from 'valibot';
import { RUN_AS, SHELLS } from '../../domain/jobs/index.ts';
import { GROUP_PATTERN, PC_ID_PATTERN } from '../../domain/shared/index.ts';
import { boundedDuration } from '../../manifests/index.ts';

const group = v.pipe(v.string(), v.regex(GROUP_PATTERN, 'must be 1-64 characters of A-Z, a-z, 0-9, _ and -'));
const pc = v.pipe(v.string(), v.regex(PC_ID_PATTERN, 'is not a valid pc id'));

/** Who an exec is for. */
export const targetSchema = v.pipe(
  v.strictObject({
    all: v.optional(v.boolean('must be true or false')),
    groups: v.optional(v.array(group, 'must be a list of group names')),
    pcs: v.optional(v.array(pc, 'must be a list of pc ids')),
  }),
  v.check(
    (t) => t.all === true || (t.groups ?? []).length > 0 || (t.pcs ?? []).length > 0,
    'name all, some groups or some pcs',
  ),
);

/** `POST /api/exec/:jobId`. */
export const execBodySchema = v.strictObject({
  target: targetSchema,
  jitter: v.optional(boundedDuration(0, 86_400)),
  starting_deadline: v.optional(boundedDuration(1, 30 * 86_400)),
});

/** `POST /api/run`: an ad-hoc script on one PC. */
export const runBodySchema = v.strictObject({
  pc_id: pc,
  shell: v.optional(v.picklist(SHELLS, `must be one of ${SHELLS.join(', ')}`), 'sh'),
  script: v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(256 * 1024, 'is larger than 256 KiB')),
  timeout: v.optional(boundedDuration(1, 7 * 86_400), '1m'),
  cwd: v.optional(v.string()),
  run_as: v.optional(v.picklist(RUN_AS), 'system'),
});

/** `POST /api/executions/:id/kill` and `POST /api/jobs/:id/revoke`. */
export const reasonBodySchema = v.strictObject({ reason: v.optional(v.pipe(v.string(), v.maxLength(500))) });

/** `PUT /api/agents/:pc/groups`. */
export const groupsBodySchema = v.strictObject({
  groups: v.pipe(v.array(group, 'must be a list of group names'), v.maxLength(100)),
});

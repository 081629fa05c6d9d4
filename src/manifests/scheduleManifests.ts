import * as v from 'valibot';
import { normalizeTarget } from '../domain/execs/index.ts';
import { SCHEDULE_MODES, type ScheduleManifest } from '../domain/schedules/index.ts';
import { JOB_ID_PATTERN, type Parsed } from '../domain/shared/index.ts';
import { cronProblem, timeZoneProblem } from './cron.ts';
import { fanoutEntries, hasTargetOrRollout, selectorSchema } from './fanoutSchema.ts';
import { boundedDuration } from './jobSchema.ts';
import { parseJsonManifests, parseYamlManifests } from './manifestDocuments.ts';
import { type Origin, toIssues } from './valibotIssues.ts';

const idSchema = v.pipe(
  v.string('must be a string'),
  v.regex(JOB_ID_PATTERN, 'must be 1-128 characters of A-Z, a-z, 0-9, _ and -'),
);

const tzSchema = v.pipe(
  v.string('must be a time zone name'),
  v.check(
    (tz) => timeZoneProblem(tz) === undefined,
    (issue) => timeZoneProblem(String(issue.input)) ?? 'invalid',
  ),
);

const fields = v.strictObject({
  id: idSchema,
  description: v.optional(v.string('must be a string')),
  cron: v.pipe(v.string('must be a cron expression such as "0 3 * * *"'), v.trim()),
  tz: v.optional(tzSchema, 'UTC'),
  job_id: idSchema,
  ...fanoutEntries,
  where: v.optional(selectorSchema),
  mode: v.optional(v.picklist(SCHEDULE_MODES, `must be one of ${SCHEDULE_MODES.join(', ')}`), 'every_tick'),
  cooldown: v.optional(boundedDuration(1, 366 * 86_400)),
  enabled: v.optional(v.boolean('must be true or false'), true),
});

type Fields = v.InferOutput<typeof fields>;

/** The schedule manifest as written (strict: an unknown key is an error), with its cross-field rules. */
export const scheduleManifestSchema = v.pipe(
  fields,
  v.forward(
    v.check(
      (s: Fields) => cronProblem(s.cron, s.tz) === undefined,
      (issue) => {
        const s = issue.input as Fields;
        return cronProblem(s.cron, s.tz) ?? 'invalid';
      },
    ),
    ['cron'],
  ),
  v.check(
    (s: Fields) => hasTargetOrRollout(s) || s.where !== undefined,
    'name a target, a rollout, a where selector, or both',
  ),
  v.forward(
    v.check(
      (s: Fields) => s.cooldown === undefined || s.mode !== 'every_tick',
      'only once_per_pc and once_per_target have a cooldown',
    ),
    ['cooldown'],
  ),
  v.forward(
    v.check(
      (s: Fields) => s.rollout === undefined || s.mode !== 'once_per_pc',
      'once_per_pc fires at the PCs that still need the job; it does not take a rollout',
    ),
    ['rollout'],
  ),
);

/** Validates one schedule manifest value (from YAML or JSON); defaults are filled and keys ordered. */
export const parseScheduleValue = (value: unknown, origin: Origin): Parsed<ScheduleManifest> => {
  const result = v.safeParse(scheduleManifestSchema, value);
  if (!result.success) return { ok: false, issues: toIssues(result.issues, origin, scheduleManifestSchema) };
  const s = result.output;
  return {
    ok: true,
    value: {
      id: s.id,
      ...(s.description === undefined ? {} : { description: s.description }),
      cron: s.cron,
      tz: s.tz,
      job_id: s.job_id,
      ...(s.target === undefined ? {} : { target: normalizeTarget(s.target) }),
      ...(s.rollout === undefined ? {} : { rollout: s.rollout }),
      ...(s.where === undefined ? {} : { where: s.where }),
      ...(s.jitter === undefined ? {} : { jitter: s.jitter }),
      mode: s.mode,
      ...(s.cooldown === undefined ? {} : { cooldown: s.cooldown }),
      ...(s.starting_deadline === undefined ? {} : { starting_deadline: s.starting_deadline }),
      enabled: s.enabled,
    },
  };
};

/** Parses one or many YAML documents into schedule manifests, or every issue with its line and column. */
export const parseSchedulesYaml = (text: string, source?: string): Parsed<ScheduleManifest[]> =>
  parseYamlManifests(text, 'schedule', parseScheduleValue, source);

/** Parses a JSON body: one schedule object or an array of them. */
export const parseSchedulesJson = (value: unknown, source?: string): Parsed<ScheduleManifest[]> =>
  parseJsonManifests(value, 'schedule', parseScheduleValue, source);

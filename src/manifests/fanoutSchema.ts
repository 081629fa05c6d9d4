import * as v from 'valibot';
import type { RolloutSpec, WaveGate, WaveSpec } from '../domain/execs/index.ts';
import { parseSelector, selectorText } from '../domain/selectors/index.ts';
import { GROUP_PATTERN, parseDuration, pcIdProblem } from '../domain/shared/index.ts';
import { boundedDuration } from './jobSchema.ts';

const secs = (d: string) => parseDuration(d) ?? 0;

const group = v.pipe(
  v.string('must be a group name'),
  v.regex(GROUP_PATTERN, 'must be 1-64 characters of A-Z, a-z, 0-9, _ and -'),
);
const pc = v.pipe(
  v.string('must be a pc id'),
  v.rawCheck(({ dataset, addIssue }) => {
    const problem = dataset.typed ? pcIdProblem(dataset.value) : undefined;
    if (problem !== undefined) addIssue({ message: `is not a valid pc id: ${problem}` });
  }),
);

/** Group names (shared by targets, waves and `PUT /api/agents/:pc/groups`). */
export const groupNameSchema = group;
/** A pc id. */
export const pcIdSchema = pc;

const targetShape = v.strictObject({
  all: v.optional(v.boolean('must be true or false')),
  groups: v.optional(v.array(group, 'must be a list of group names')),
  pcs: v.optional(v.array(pc, 'must be a list of pc ids')),
});

const namesSomebody = (t: v.InferOutput<typeof targetShape>) =>
  t.all === true || (t.groups ?? []).length > 0 || (t.pcs ?? []).length > 0;

/** Who an exec is for: all, groups, pcs (at least one). */
export const targetSchema = v.pipe(targetShape, v.check(namesSomebody, 'name all, some groups or some pcs'));

/** The longest delay of a wave: rollouts are days, not months. */
export const MAX_WAVE_DELAY_SECS = 30 * 86_400;

/**
 * A selector over facts and groups (`os.family == "linux" and "lab" in groups`), refused with the
 * parser's first problem and its column (shared by waves and schedules' `where`).
 */
export const selectorSchema = v.pipe(
  v.string('must be a selector such as os.family == "linux"'),
  v.check(
    (w) => parseSelector(w).ok,
    (issue) => {
      const parsed = parseSelector(String(issue.input));
      const first = parsed.ok ? undefined : parsed.issues[0];
      return first === undefined
        ? 'is not a valid selector'
        : `${first.message} (at column ${first.column} of the selector)`;
    },
  ),
);

/** A wave: a group, or a selector over facts and groups (exactly one), and its delay from the request. */
const waveSchema = v.pipe(
  v.strictObject({
    group: v.optional(group),
    where: v.optional(selectorSchema),
    delay: v.optional(boundedDuration(0, MAX_WAVE_DELAY_SECS), '0s'),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { group: g, where } = dataset.value;
    if (g !== undefined && where !== undefined)
      addIssue({ message: 'name a group or a where selector, not both (a wave is one or the other)' });
    if (g === undefined && where === undefined)
      addIssue({ message: 'name the group of the wave, or a where selector choosing its PCs' });
  }),
  v.transform(
    (w): WaveSpec =>
      w.where !== undefined ? { where: w.where, delay: w.delay } : { group: w.group ?? '', delay: w.delay },
  ),
);

// Two waves choosing alike (one group, or selectors of one canonical text): the second would be empty.
const chooserKey = (w: WaveSpec) => {
  if (!('where' in w)) return `group ${w.group}`;
  const parsed = parseSelector(w.where);
  return `where ${parsed.ok ? selectorText(parsed.selector) : w.where}`;
};

const gateSchema = v.pipe(
  v.strictObject({
    max_failure_ratio: v.optional(
      v.pipe(
        v.number('must be a number'),
        v.minValue(0, 'must be between 0 and 1'),
        v.maxValue(1, 'must be between 0 and 1'),
      ),
    ),
    min_success: v.optional(
      v.pipe(v.number('must be a number'), v.integer('must be a whole number'), v.minValue(0, 'must not be negative')),
    ),
  }),
  v.check(
    (g) => g.max_failure_ratio !== undefined || g.min_success !== undefined,
    'name max_failure_ratio, min_success or both',
  ),
  v.transform(
    (g): WaveGate => ({
      ...(g.max_failure_ratio === undefined ? {} : { max_failure_ratio: g.max_failure_ratio }),
      ...(g.min_success === undefined ? {} : { min_success: g.min_success }),
    }),
  ),
);

/**
 * A rollout in waves (kanade's shape): `{strategy: wave, waves: [{group | where, delay}], gate?}`.
 * Delays count from the request and must not decrease; a group (or a selector) appears once.
 */
export const rolloutSchema = v.pipe(
  v.strictObject({
    strategy: v.optional(v.literal('wave', 'must be wave'), 'wave'),
    waves: v.pipe(
      v.array(waveSchema, 'must be a list of waves'),
      v.minLength(1, 'must name at least one wave'),
      v.maxLength(50, 'must have at most 50 waves'),
      v.check(
        (waves) => new Set(waves.map(chooserKey)).size === waves.length,
        'must name each group (and each selector) once (a PC runs in the first wave that names it)',
      ),
      v.check(
        (waves) => waves.every((w, i) => i === 0 || secs(w.delay) >= secs(waves[i - 1]?.delay ?? '0s')),
        'delays count from the request and must not decrease from one wave to the next',
      ),
    ),
    gate: v.optional(gateSchema),
  }),
  v.forward(
    v.check(
      (r) =>
        r.gate === undefined || r.waves.every((w, i) => i === 0 || secs(w.delay) > secs(r.waves[i - 1]?.delay ?? '0s')),
      'with a gate, each wave needs a longer delay than the one before: the gate judges the previous wave when the next is due',
    ),
    ['waves'],
  ),
  v.transform(
    (r): RolloutSpec => ({
      strategy: r.strategy,
      waves: r.waves,
      ...(r.gate === undefined ? {} : { gate: r.gate }),
    }),
  ),
);

/** Fields shared by an exec request and a schedule: a target, a rollout or both. */
export const fanoutEntries = {
  target: v.optional(targetSchema),
  rollout: v.optional(rolloutSchema),
  jitter: v.optional(boundedDuration(0, 86_400)),
  starting_deadline: v.optional(boundedDuration(1, MAX_WAVE_DELAY_SECS)),
};

/** A fan-out names a target, or waves (which may be scoped by a target). */
export const hasTargetOrRollout = (f: { target?: unknown; rollout?: unknown }) =>
  f.target !== undefined || f.rollout !== undefined;

import * as v from 'valibot';
import {
  type Execute,
  INVENTORY_TYPES,
  type InventoryHint,
  type JobManifest,
  RUN_AS,
  SHELLS,
} from '../domain/jobs/index.ts';
import { formatDuration, JOB_ID_PATTERN, normalizeDuration, parseDuration } from '../domain/shared/index.ts';

/** Inline scripts travel inside events and commands, which must stay well under NATS' 1 MB payload. */
export const MAX_INLINE_SCRIPT_BYTES = 256 * 1024;

const oneOf = (values: readonly string[]) => `must be one of ${values.join(', ')}`;

/** A humantime duration such as 30s, 10m or 1h30m, normalized to its canonical spelling. */
export const durationSchema = v.pipe(
  v.string('must be a duration such as 30s, 10m or 1h30m'),
  v.check((s) => normalizeDuration(s) !== undefined, 'must be a duration such as 30s, 10m or 1h30m'),
  v.transform((s) => normalizeDuration(s) as string),
);

/** A duration within [min, max] seconds (timers overflow past 24.8 days; a week is the longest job). */
export const boundedDuration = (minSecs: number, maxSecs: number) =>
  v.pipe(
    durationSchema,
    v.check((s) => (parseDuration(s) ?? 0) >= minSecs, `must be at least ${formatDuration(minSecs)}`),
    v.check((s) => (parseDuration(s) ?? 0) <= maxSecs, `must be at most ${formatDuration(maxSecs)}`),
  );

const WEEK = 7 * 86_400;
const positiveDuration = boundedDuration(1, WEEK);

const text = (what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.minLength(1, `${what} must not be empty`));

const idSchema = v.pipe(
  v.string('must be a string'),
  v.regex(JOB_ID_PATTERN, 'must be 1-128 characters of A-Z, a-z, 0-9, _ and -'),
);

export const versionSchema = v.pipe(
  v.string('must be a string; quote numbers such as "1.0" so YAML keeps them as written'),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'must be 1-64 characters of letters, digits, ".", "_", "+" and "-"'),
);

const scriptSchema = v.pipe(
  v.string('must be a string'),
  v.check((s) => s === '' || s.trim() !== '', 'is only blank space: there is nothing to run'),
  v.check(
    (s) => new TextEncoder().encode(s).length <= MAX_INLINE_SCRIPT_BYTES,
    'is larger than 256 KiB; keep scripts small and have them fetch large payloads',
  ),
);

// Script objects (scripts kept in the object store) are not built yet: refused where they are written,
// never accepted and run as an empty script that "succeeds".
const SCRIPT_OBJECTS_UNSUPPORTED =
  'script objects are not supported yet; put the script inline (script) or next to the manifest (script_file)';

const executeSchema = v.pipe(
  v.strictObject({
    shell: v.picklist(SHELLS, oneOf(SHELLS)),
    script: v.optional(scriptSchema),
    script_file: v.optional(v.string('must be a string')),
    script_object: v.optional(
      v.pipe(
        v.unknown(),
        v.check(() => false, SCRIPT_OBJECTS_UNSUPPORTED),
      ),
    ),
    timeout: positiveDuration,
    run_as: v.optional(v.picklist(RUN_AS, oneOf(RUN_AS)), 'system'),
    cwd: v.optional(text('cwd')),
  }),
  v.check(
    (e) => [e.script, e.script_file, e.script_object].filter((s) => s !== undefined && s !== '').length === 1,
    'exactly one of script and script_file must be set',
  ),
);

export const stalenessSchema = v.variant(
  'mode',
  [
    v.strictObject({ mode: v.literal('cached') }),
    v.strictObject({ mode: v.literal('unchecked') }),
    v.strictObject({ mode: v.literal('strict'), max_cache_age: positiveDuration }),
  ],
  'mode must be one of cached, unchecked, strict (strict needs max_cache_age)',
);

const inventoryColumn = v.strictObject({
  field: text('field'),
  label: text('label'),
  type: v.optional(v.picklist(INVENTORY_TYPES, oneOf(INVENTORY_TYPES))),
});
const inventoryField = v.strictObject({
  ...inventoryColumn.entries,
  columns: v.optional(v.array(inventoryColumn, 'must be a list')),
});
const inventorySchema = v.strictObject({
  display: v.pipe(v.array(inventoryField, 'must be a list'), v.minLength(1, 'must list at least one field')),
  summary: v.optional(v.array(inventoryField, 'must be a list')),
});

/** The job manifest as written (strict: an unknown key is an error). */
export const jobManifestSchema = v.strictObject({
  id: idSchema,
  version: versionSchema,
  description: v.optional(v.string('must be a string')),
  execute: executeSchema,
  staleness: v.optional(stalenessSchema, { mode: 'cached' }),
  inventory: v.optional(inventorySchema),
  require_approval: v.optional(
    v.union(
      [
        v.boolean(),
        v.strictObject({
          approvers: v.pipe(
            v.number('must be a number'),
            v.integer('must be a whole number'),
            v.minValue(1, 'must be at least 1'),
            v.maxValue(10, 'must be at most 10'),
          ),
        }),
      ],
      'must be true, false or {approvers: N}',
    ),
    false,
  ),
  approval_timeout: v.optional(
    v.pipe(
      v.string('must be a duration such as 24h'),
      v.check((d) => (parseDuration(d) ?? 0) > 0, 'must be a duration such as 24h or 30m'),
    ),
  ),
  tags: v.optional(
    v.pipe(
      v.array(text('tag'), 'must be a list of strings'),
      v.check((tags) => new Set(tags).size === tags.length, 'must not repeat a tag'),
    ),
    [],
  ),
});

/** The manifest as written, after validation but before script_file is dropped. */
export type JobManifestInput = v.InferOutput<typeof jobManifestSchema>;

/** Drops what only exists in files (script_file), fills defaults and fixes the key order of the stored manifest. */
export const toJobManifest = (input: JobManifestInput): JobManifest => {
  const e = input.execute;
  const execute: Execute = {
    shell: e.shell,
    script: e.script ?? '', // the schema refuses script_object and insists on a script (or an inlined script_file)
    timeout: e.timeout,
    run_as: e.run_as,
    ...(e.cwd === undefined ? {} : { cwd: e.cwd }),
  };
  return {
    id: input.id,
    version: input.version,
    ...(input.description === undefined ? {} : { description: input.description }),
    execute,
    staleness: input.staleness,
    ...(input.inventory === undefined ? {} : { inventory: input.inventory as InventoryHint }),
    require_approval: input.require_approval,
    ...(input.approval_timeout === undefined ? {} : { approval_timeout: input.approval_timeout }),
    tags: input.tags,
  };
};

export {
  CONFIG_BOUNDS,
  configManifestSchema,
  parseConfigJson,
  parseConfigValue,
  parseConfigYaml,
} from './configManifests.ts';
export { cronProblem, dueSlots, MAX_COUNTED_SLOTS, nextSlots, timeZoneProblem } from './cron.ts';
export {
  fanoutEntries,
  groupNameSchema,
  hasTargetOrRollout,
  MAX_WAVE_DELAY_SECS,
  pcIdSchema,
  rolloutSchema,
  targetSchema,
} from './fanoutSchema.ts';
export type { ParseJobsOptions, ScriptFileReader } from './jobManifests.ts';
export { parseJobsJson, parseJobsYaml, parseJobValue } from './jobManifests.ts';
export { boundedDuration, durationSchema, jobManifestSchema, MAX_INLINE_SCRIPT_BYTES } from './jobSchema.ts';
export { capIssues, INPUT_LIMITS, jsonLimitProblem, MAX_ISSUES, yamlLimitProblem } from './limits.ts';
export type { ManifestPositions } from './positions.ts';
export { issueInDocument, manifestPositions, pathSegments } from './positions.ts';
export { parseSchedulesJson, parseSchedulesYaml, parseScheduleValue } from './scheduleManifests.ts';
export type { Origin } from './valibotIssues.ts';
export { formatPath, issueAt, toIssues } from './valibotIssues.ts';
export type { Locate, PathSegment, YamlDocument } from './yamlDocuments.ts';
export { parseYamlDocuments } from './yamlDocuments.ts';

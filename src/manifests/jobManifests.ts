import * as v from 'valibot';
import type { JobManifest } from '../domain/jobs/index.ts';
import type { Issue, Parsed } from '../domain/shared/index.ts';
import { jobManifestSchema, toJobManifest } from './jobSchema.ts';
import { parseJsonManifests, parseYamlManifests } from './manifestDocuments.ts';
import { issueAt, type Origin, toIssues } from './valibotIssues.ts';

/** Reads a script_file named by a manifest; paths are relative to the manifest's own file. */
export type ScriptFileReader = (path: string) => { ok: true; text: string } | { ok: false; message: string };

/** Options for parsing: where the text came from, and how to inline script_file (the CLI does; the API refuses). */
export type ParseJobsOptions = { source?: string; readScriptFile?: ScriptFileReader };

/** Parses one or many YAML documents into job manifests, or every issue with its line and column. */
export const parseJobsYaml = (text: string, options: ParseJobsOptions = {}): Parsed<JobManifest[]> =>
  parseYamlManifests(text, 'job', (value, origin) => parseJobValue(value, origin, options), options.source);

/** Parses a JSON body: one manifest object or an array of them. */
export const parseJobsJson = (value: unknown, options: ParseJobsOptions = {}): Parsed<JobManifest[]> =>
  parseJsonManifests(value, 'job', (item, origin) => parseJobValue(item, origin, options), options.source);

/** Validates one manifest value (already parsed from YAML or JSON); every problem is reported at once. */
export const parseJobValue = (value: unknown, origin: Origin, options: ParseJobsOptions = {}): Parsed<JobManifest> => {
  const inlined = inlineScriptFile(value, origin, options.readScriptFile);
  const result = v.safeParse(jobManifestSchema, inlined.value);
  const issues = [...inlined.issues, ...(result.success ? [] : toIssues(result.issues, origin, jobManifestSchema))];
  if (!result.success || issues.length > 0) return { ok: false, issues };
  if (result.output.execute.script_file !== undefined) {
    const message = 'script_file must be inlined by the client; use `kanade job apply`, which reads the file';
    return { ok: false, issues: [issueAt(['execute', 'script_file'], message, origin)] };
  }
  return { ok: true, value: toJobManifest(result.output) };
};

// A stand-in for a script_file that could not be read, so the rest of the manifest is still checked.
const UNREADABLE = '# script_file could not be read';

// Replaces execute.script_file with execute.script read through `read`; leaves the value alone otherwise
// (a script next to a script_file is left for the schema to report).
const inlineScriptFile = (
  value: unknown,
  origin: Origin,
  read: ScriptFileReader | undefined,
): { value: unknown; issues: Issue[] } => {
  const execute = isRecord(value) && isRecord(value.execute) ? value.execute : undefined;
  const path = execute?.script_file;
  if (read === undefined || execute === undefined || typeof path !== 'string' || path === '')
    return { value, issues: [] };
  const { script_file: _dropped, ...rest } = execute;
  if (rest.script !== undefined) return { value, issues: [] };
  const file = read(path);
  const issues = file.ok ? [] : [issueAt(['execute', 'script_file'], file.message, origin)];
  const script = file.ok ? file.text : UNREADABLE;
  return { value: { ...(value as Record<string, unknown>), execute: { ...rest, script } }, issues };
};

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

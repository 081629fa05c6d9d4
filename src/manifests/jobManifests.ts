import * as v from 'valibot';
import type { JobManifest } from '../domain/jobs/index.ts';
import type { Issue, Parsed } from '../domain/shared/index.ts';
import { jobManifestSchema, toJobManifest } from './jobSchema.ts';
import { issueAt, type Origin, toIssues } from './valibotIssues.ts';
import { parseYamlDocuments } from './yamlDocuments.ts';

/** Reads a script_file named by a manifest; paths are relative to the manifest's own file. */
export type ScriptFileReader = (path: string) => { ok: true; text: string } | { ok: false; message: string };

/** Options for parsing: where the text came from, and how to inline script_file (the CLI does; the API refuses). */
export type ParseJobsOptions = { source?: string; readScriptFile?: ScriptFileReader };

/** Parses one or many YAML documents into job manifests, or every issue with its line and column. */
export const parseJobsYaml = (text: string, options: ParseJobsOptions = {}): Parsed<JobManifest[]> => {
  const { documents, issues } = parseYamlDocuments(text);
  const located = (issue: Issue): Issue =>
    options.source === undefined ? issue : { ...issue, source: options.source };
  const parsed = documents.map((doc) => {
    const origin: Origin = { document: doc.index, locate: doc.locate, ...sourceOf(options) };
    return { origin, result: parseJobValue(doc.value, origin, options) };
  });
  return collect(parsed, issues.map(located));
};

/** Parses a JSON body: one manifest object or an array of them. */
export const parseJobsJson = (value: unknown, options: ParseJobsOptions = {}): Parsed<JobManifest[]> => {
  const items = Array.isArray(value) ? value : [value];
  const parsed = items.map((item, document) => {
    const origin: Origin = { document, ...sourceOf(options) };
    return { origin, result: parseJobValue(item, origin, options) };
  });
  return collect(parsed, []);
};

/** Validates one manifest value (already parsed from YAML or JSON). */
export const parseJobValue = (value: unknown, origin: Origin, options: ParseJobsOptions = {}): Parsed<JobManifest> => {
  const inlined = inlineScriptFile(value, origin, options.readScriptFile);
  if (!inlined.ok) return inlined;
  const result = v.safeParse(jobManifestSchema, inlined.value);
  if (!result.success) return { ok: false, issues: toIssues(result.issues, origin) };
  if (result.output.execute.script_file !== undefined) {
    const message = 'script_file must be inlined by the client; use `kanade job apply`, which reads the file';
    return { ok: false, issues: [issueAt(['execute', 'script_file'], message, origin)] };
  }
  return { ok: true, value: toJobManifest(result.output) };
};

const sourceOf = (options: ParseJobsOptions): Origin =>
  options.source === undefined ? {} : { source: options.source };

// Replaces execute.script_file with execute.script read through `read`; leaves the value alone otherwise.
const inlineScriptFile = (value: unknown, origin: Origin, read: ScriptFileReader | undefined): Parsed<unknown> => {
  const execute = isRecord(value) && isRecord(value.execute) ? value.execute : undefined;
  const path = execute?.script_file;
  if (read === undefined || execute === undefined || typeof path !== 'string' || path === '') {
    return { ok: true, value };
  }
  const file = read(path);
  if (!file.ok) return { ok: false, issues: [issueAt(['execute', 'script_file'], file.message, origin)] };
  const { script_file: _dropped, ...rest } = execute;
  if (rest.script !== undefined) {
    return {
      ok: false,
      issues: [issueAt(['execute'], 'exactly one of script, script_file and script_object must be set', origin)],
    };
  }
  return { ok: true, value: { ...(value as Record<string, unknown>), execute: { ...rest, script: file.text } } };
};

type ParsedDocument = { origin: Origin; result: Parsed<JobManifest> };

// Every document is validated, so one bad document does not hide the issues of the next; duplicate ids are issues too.
const collect = (parsed: ParsedDocument[], syntaxIssues: Issue[]): Parsed<JobManifest[]> => {
  const issues = [...syntaxIssues, ...parsed.flatMap(({ result }) => (result.ok ? [] : result.issues))];
  issues.push(...duplicateIds(parsed));
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: parsed.flatMap(({ result }) => (result.ok ? [result.value] : [])) };
};

const duplicateIds = (parsed: ParsedDocument[]): Issue[] => {
  const firstSeen = new Map<string, number>();
  const issues: Issue[] = [];
  for (const { origin, result } of parsed) {
    if (!result.ok) continue;
    const first = firstSeen.get(result.value.id);
    if (first === undefined) firstSeen.set(result.value.id, origin.document ?? 0);
    else issues.push(issueAt(['id'], `job id ${result.value.id} is already defined in document ${first + 1}`, origin));
  }
  return issues;
};

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

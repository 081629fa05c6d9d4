import type { Context } from 'hono';
import type { ConfigManifest } from '../domain/config/index.ts';
import type { JobManifest } from '../domain/jobs/index.ts';
import type { ScheduleManifest } from '../domain/schedules/index.ts';
import type { Issue, Parsed } from '../domain/shared/index.ts';
import {
  issueInDocument,
  jsonLimitProblem,
  manifestPositions,
  parseConfigJson,
  parseConfigYaml,
  parseJobsJson,
  parseJobsYaml,
  parseSchedulesJson,
  parseSchedulesYaml,
} from '../manifests/index.ts';
import { RequestRejected } from './errors.ts';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/**
 * Manifests read from a body, and how to place a problem found later (a job not in the catalog, a
 * group nobody is in) on the n-th manifest: its document and, for YAML, its line and column.
 */
export type ManifestBody<T> = { manifests: T[]; issueAt(index: number, issue: Issue): Issue };

/** Reads manifests of one kind from a YAML (one or many documents) or JSON (object or array) body. */
export const readManifests = async <T>(
  c: Context,
  parse: { yaml(text: string): Parsed<T[]>; json(value: unknown): Parsed<T[]> },
): Promise<ManifestBody<T>> => {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = await c.req.text();
  if (YAML_TYPES.includes(type)) {
    const positions = manifestPositions(text);
    return { manifests: unwrap(parse.yaml(text)), issueAt: (n, issue) => issueInDocument(positions.nth(n), issue) };
  }
  if (type === 'application/json')
    return { manifests: unwrap(parse.json(parseJson(text))), issueAt: (document, issue) => ({ ...issue, document }) };
  throw new RequestRejected(
    415,
    'unsupported-media-type',
    `send application/yaml or application/json, not ${type || 'nothing'}`,
  );
};

/** Reads an optional JSON object body; an empty body is `{}`. */
export const readJsonObject = async (c: Context): Promise<Record<string, unknown>> => {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  const value = parseJson(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestRejected(422, 'invalid-body', 'the body must be a JSON object', [
      { path: '', message: 'must be an object' },
    ]);
  }
  return value as Record<string, unknown>;
};

/** Reads job manifests (see readManifests). */
export const readJobManifests = (c: Context): Promise<ManifestBody<JobManifest>> =>
  readManifests(c, { yaml: (text) => parseJobsYaml(text), json: (value) => parseJobsJson(value) });

/** Reads schedule manifests (see readManifests). */
export const readScheduleManifests = (c: Context): Promise<ManifestBody<ScheduleManifest>> =>
  readManifests(c, { yaml: (text) => parseSchedulesYaml(text), json: (value) => parseSchedulesJson(value) });

const parseJson = (text: string): unknown => {
  const tooMuch = jsonLimitProblem(text);
  if (tooMuch !== undefined)
    throw new RequestRejected(422, 'input-limits', `the body is too complex: ${tooMuch.message}`, [tooMuch]);
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'invalid JSON';
    throw new RequestRejected(400, 'malformed-json', 'the body is not valid JSON', [{ path: '', message }]);
  }
};

const unwrap = <T>(parsed: Parsed<T>): T => {
  if (parsed.ok) return parsed.value;
  throw new RequestRejected(422, 'invalid-manifest', 'the manifests are not valid', parsed.issues);
};

/** Reads config manifests (see readManifests). */
export const readConfigManifests = (c: Context): Promise<ManifestBody<ConfigManifest>> =>
  readManifests(c, { yaml: (text) => parseConfigYaml(text), json: (value) => parseConfigJson(value) });

import type { Context } from 'hono';
import type { JobManifest } from '../domain/jobs/index.ts';
import type { ScheduleManifest } from '../domain/schedules/index.ts';
import type { Parsed } from '../domain/shared/index.ts';
import { parseJobsJson, parseJobsYaml, parseSchedulesJson, parseSchedulesYaml } from '../manifests/index.ts';
import { RequestRejected } from './errors.ts';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** Reads manifests of one kind from a YAML (one or many documents) or JSON (object or array) body. */
export const readManifests = async <T>(
  c: Context,
  parse: { yaml(text: string): Parsed<T[]>; json(value: unknown): Parsed<T[]> },
): Promise<T[]> => {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = await c.req.text();
  if (YAML_TYPES.includes(type)) return unwrap(parse.yaml(text));
  if (type === 'application/json') return unwrap(parse.json(parseJson(text)));
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
export const readJobManifests = (c: Context): Promise<JobManifest[]> =>
  readManifests(c, { yaml: (text) => parseJobsYaml(text), json: (value) => parseJobsJson(value) });

/** Reads schedule manifests (see readManifests). */
export const readScheduleManifests = (c: Context): Promise<ScheduleManifest[]> =>
  readManifests(c, { yaml: (text) => parseSchedulesYaml(text), json: (value) => parseSchedulesJson(value) });

const parseJson = (text: string): unknown => {
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

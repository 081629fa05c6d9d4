import type * as v from 'valibot';
import { closest, type Issue } from '../domain/shared/index.ts';
import type { Locate, PathSegment } from './yamlDocuments.ts';

/** Where the value being validated came from, so issues can say which document, file and line. */
export type Origin = { document?: number; source?: string; locate?: Locate };

/**
 * Turns valibot issues into ours: a readable path, a plain message, and a position when known. With
 * the schema, an unknown key names the nearest known one ("unknown key (did you mean shell?)").
 */
export const toIssues = (issues: readonly v.BaseIssue<unknown>[], origin: Origin, schema?: unknown): Issue[] =>
  issues.map((issue) => {
    const segments: PathSegment[] = (issue.path ?? []).map((item) => item.key as PathSegment);
    const position = origin.locate?.(segments);
    return withOrigin({ path: formatPath(segments), message: messageOf(issue, segments, schema) }, origin, position);
  });

// valibot reports both an unknown key and a missing one as an "Invalid key" of the object.
const messageOf = (issue: v.BaseIssue<unknown>, segments: readonly PathSegment[], schema: unknown): string => {
  if (issue.path?.at(-1)?.origin !== 'key' && issue.input !== undefined) return issue.message;
  if (issue.expected === 'never') {
    const near = closest(String(segments.at(-1)), keysAt(schema, segments.slice(0, -1)));
    return near === undefined ? 'unknown key' : `unknown key (did you mean ${near}?)`;
  }
  if (issue.input === undefined) return 'is required';
  return issue.message;
};

type SchemaNode = {
  type?: string;
  wrapped?: unknown;
  entries?: Record<string, unknown>;
  item?: unknown;
  options?: unknown[];
};

// The keys an object schema takes at `path` (through optional wrappers, arrays and variants).
const keysAt = (schema: unknown, path: readonly PathSegment[]): string[] => {
  const nodes = path.reduce<SchemaNode[]>(
    (at, segment) =>
      at.flatMap((node) => {
        if (node.entries !== undefined) return [node.entries[String(segment)]].flatMap(unwrapped);
        if (node.item !== undefined) return unwrapped(node.item);
        return [];
      }),
    unwrapped(schema),
  );
  return [...new Set(nodes.flatMap((n) => Object.keys(n.entries ?? {})))];
};

// A schema without its optional/nullable wrappers; a variant stands for all of its options.
const unwrapped = (schema: unknown): SchemaNode[] => {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as SchemaNode;
  if (node.wrapped !== undefined) return unwrapped(node.wrapped);
  if (Array.isArray(node.options)) return node.options.flatMap(unwrapped);
  return [node];
};

/** Builds an issue for a path that valibot did not produce (cross-document checks, file reads). */
export const issueAt = (segments: readonly PathSegment[], message: string, origin: Origin): Issue =>
  withOrigin({ path: formatPath(segments), message }, origin, origin.locate?.(segments));

/** Formats a path as `execute.shell` or `tags[1]`. */
export const formatPath = (segments: readonly PathSegment[]): string =>
  segments.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc === '' ? s : `${acc}.${s}`), '');

const withOrigin = (
  base: { path: string; message: string },
  origin: Origin,
  position: { line: number; column: number } | undefined,
): Issue => ({
  ...base,
  ...(origin.document === undefined ? {} : { document: origin.document }),
  ...(origin.source === undefined ? {} : { source: origin.source }),
  ...(position === undefined ? {} : { line: position.line, column: position.column }),
});

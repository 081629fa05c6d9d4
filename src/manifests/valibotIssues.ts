import type * as v from 'valibot';
import type { Issue } from '../domain/shared/index.ts';
import type { Locate, PathSegment } from './yamlDocuments.ts';

/** Where the value being validated came from, so issues can say which document, file and line. */
export type Origin = { document?: number; source?: string; locate?: Locate };

/** Turns valibot issues into ours: a readable path, a plain message, and a position when known. */
export const toIssues = (issues: readonly v.BaseIssue<unknown>[], origin: Origin): Issue[] =>
  issues.map((issue) => {
    const segments: PathSegment[] = (issue.path ?? []).map((item) => item.key as PathSegment);
    const position = origin.locate?.(segments);
    return withOrigin({ path: formatPath(segments), message: messageOf(issue) }, origin, position);
  });

// valibot reports both an unknown key and a missing one as an "Invalid key" of the object.
const messageOf = (issue: v.BaseIssue<unknown>): string => {
  if (issue.path?.at(-1)?.origin !== 'key' && issue.input !== undefined) return issue.message;
  if (issue.expected === 'never') return 'unknown key';
  if (issue.input === undefined) return 'is required';
  return issue.message;
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

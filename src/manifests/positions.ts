import type { Issue } from '../domain/shared/index.ts';
import { type PathSegment, parseYamlDocuments, type YamlDocument } from './yamlDocuments.ts';

/** Parses a formatted path (`target.groups[0]`, `execute.shell`) back into its segments. */
export const pathSegments = (path: string): PathSegment[] =>
  path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/**
 * Where manifests sit in a YAML text, for problems found after parsing (a schedule naming a job
 * not in the catalog, a group nobody is in): the n-th manifest, or the one with an id.
 */
export type ManifestPositions = {
  /** The n-th (non-empty) document, as the parsed manifests are numbered. */
  nth(n: number): YamlDocument | undefined;
  byId(id: string): YamlDocument | undefined;
};

/** Reads the positions of a YAML text once, on demand (only an error path needs them). */
export const manifestPositions = (text: string): ManifestPositions => {
  let documents: YamlDocument[] | undefined;
  const all = () => {
    documents ??= parseYamlDocuments(text).documents;
    return documents;
  };
  return {
    nth: (n) => all()[n],
    byId: (id) =>
      all().find((d) => typeof d.value === 'object' && d.value !== null && (d.value as { id?: unknown }).id === id),
  };
};

/** An issue at `path` of a document, with the document's stream index and the line and column when known. */
export const issueInDocument = (doc: YamlDocument | undefined, issue: Issue): Issue => {
  const position = doc?.locate(pathSegments(issue.path));
  return {
    ...issue,
    ...(doc === undefined ? {} : { document: doc.index }),
    ...(position === undefined ? {} : { line: position.line, column: position.column }),
  };
};

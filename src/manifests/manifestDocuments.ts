import type { Issue, Parsed } from '../domain/shared/index.ts';
import { capIssues, INPUT_LIMITS } from './limits.ts';
import { issueAt, type Origin } from './valibotIssues.ts';
import { parseYamlDocuments } from './yamlDocuments.ts';

/** Validates one manifest value (already parsed from YAML or JSON) found at `origin`. */
export type ParseValue<T> = (value: unknown, origin: Origin) => Parsed<T>;

/** Parses one or many YAML documents into manifests of one kind, or every issue with its line and column. */
export const parseYamlManifests = <T extends { id: string }>(
  text: string,
  kind: string,
  parseValue: ParseValue<T>,
  source?: string,
): Parsed<T[]> => {
  const { documents, issues } = parseYamlDocuments(text);
  const located = (issue: Issue): Issue => (source === undefined ? issue : { ...issue, source });
  const parsed = documents.map((doc) => {
    const origin: Origin = { document: doc.index, locate: doc.locate, ...(source === undefined ? {} : { source }) };
    return { origin, result: parseValue(doc.value, origin) };
  });
  return collect(kind, parsed, issues.map(located));
};

/** Parses a JSON body: one manifest object or an array of them. */
export const parseJsonManifests = <T extends { id: string }>(
  value: unknown,
  kind: string,
  parseValue: ParseValue<T>,
  source?: string,
): Parsed<T[]> => {
  const items = Array.isArray(value) ? value : [value];
  if (items.length > INPUT_LIMITS.documents)
    return {
      ok: false,
      issues: [{ path: '', message: `more than ${INPUT_LIMITS.documents} manifests in one request` }],
    };
  const parsed = items.map((item, document) => {
    const origin: Origin = { document, ...(source === undefined ? {} : { source }) };
    return { origin, result: parseValue(item, origin) };
  });
  return collect(kind, parsed, []);
};

type ParsedDocument<T> = { origin: Origin; result: Parsed<T> };

// Every document is validated, so one bad document does not hide the issues of the next; duplicate ids are issues too.
const collect = <T extends { id: string }>(kind: string, parsed: ParsedDocument<T>[], syntax: Issue[]): Parsed<T[]> => {
  const issues = [...syntax, ...parsed.flatMap(({ result }) => (result.ok ? [] : result.issues))];
  issues.push(...duplicateIds(kind, parsed));
  if (issues.length > 0) return { ok: false, issues: capIssues(issues.sort(byPosition)) };
  return { ok: true, value: parsed.flatMap(({ result }) => (result.ok ? [result.value] : [])) };
};

// Problems in the order of the text, as a compiler lists them (issues without a position keep their order).
const byPosition = (a: Issue, b: Issue): number =>
  (a.document ?? 0) - (b.document ?? 0) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);

const duplicateIds = <T extends { id: string }>(kind: string, parsed: ParsedDocument<T>[]): Issue[] => {
  const firstSeen = new Map<string, number>();
  const issues: Issue[] = [];
  for (const { origin, result } of parsed) {
    if (!result.ok) continue;
    const first = firstSeen.get(result.value.id);
    if (first === undefined) firstSeen.set(result.value.id, origin.document ?? 0);
    else
      issues.push(issueAt(['id'], `${kind} id ${result.value.id} is already defined in document ${first + 1}`, origin));
  }
  return issues;
};

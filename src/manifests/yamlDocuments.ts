import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import type { Issue } from '../domain/shared/index.ts';
import { INPUT_LIMITS, yamlLimitProblem } from './limits.ts';

/** A path into a parsed document: object keys and array indexes. */
export type PathSegment = string | number;

/** Finds the line and column (1-based) of the node at `path`, or of its nearest existing parent. */
export type Locate = (path: readonly PathSegment[]) => { line: number; column: number } | undefined;

/** One YAML document of a stream, as plain data plus a way to locate paths in the text. */
export type YamlDocument = { index: number; value: unknown; locate: Locate };

/** Parses a (multi-document) YAML text; empty documents are skipped, syntax errors become issues. */
export const parseYamlDocuments = (text: string): { documents: YamlDocument[]; issues: Issue[] } => {
  const tooMuch = yamlLimitProblem(text);
  if (tooMuch !== undefined) return { documents: [], issues: [{ document: 0, ...tooMuch }] };
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  const documents: YamlDocument[] = [];
  const issues: Issue[] = [];
  docs.forEach((doc, index) => {
    for (const error of [...doc.errors]) {
      const pos = lineCounter.linePos(error.pos[0]);
      issues.push({ document: index, path: '', message: firstLine(error.message), line: pos.line, column: pos.col });
    }
    if (doc.errors.length > 0) return;
    const composed = toValue(doc);
    if (!composed.ok) {
      const pos = lineCounter.linePos(doc.range[0]);
      issues.push({ document: index, path: '', message: composed.message, line: pos.line, column: pos.col });
      return;
    }
    const value = composed.value;
    if (value === null || value === undefined) return;
    const locate: Locate = (path) => {
      const offset = offsetOf(doc.contents as Node, path);
      if (offset === undefined) return undefined;
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, column: pos.col };
    };
    documents.push({ index, value, locate });
  });
  return { documents, issues };
};

const firstLine = (message: string): string => message.split('\n')[0] ?? message;

// Composes a document into plain data; aliases that expand too far (a "billion laughs") or point
// nowhere are problems of the input, not exceptions.
const toValue = (doc: { toJS(options: { maxAliasCount: number }): unknown }) => {
  try {
    return { ok: true as const, value: doc.toJS({ maxAliasCount: INPUT_LIMITS.aliases }) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false as const,
      message: /alias count/i.test(message)
        ? `aliases expand to too many values (at most ${INPUT_LIMITS.aliases} alias resolutions)`
        : firstLine(message),
    };
  }
};

// Walks down `path`; for a map entry it points at the key, so "unknown key" and "bad value" both
// land on the line an operator has to edit.
const offsetOf = (root: Node, path: readonly PathSegment[]): number | undefined => {
  let node: unknown = root;
  let offset = rangeStart(root);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) break;
      offset = rangeStart(pair.key as Node) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      offset = rangeStart(node as Node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
};

const rangeStart = (node: Node | null | undefined): number | undefined => node?.range?.[0];

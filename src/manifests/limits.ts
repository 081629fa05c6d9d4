import { CST, Lexer } from 'yaml';
import type { Issue } from '../domain/shared/index.ts';

/**
 * What a YAML or JSON body may hold before it is parsed. The limits are far above what manifests
 * need (a catalog of a thousand jobs is a few thousand nodes, nested four deep) and far below what
 * makes a parser's work or memory grow out of proportion to the bytes sent (a 4 MB body of nested
 * sequences once held 2.7 GB for seconds). They are checked by a linear scan that stops at the
 * first breach, so a hostile body costs no more than reading it.
 */
export const INPUT_LIMITS = {
  /** Flow (`[`, `{`) or JSON nesting. */
  depth: 64,
  /** The column where a block node may start: block nesting (`- - - x`, indentation). */
  indentColumns: 512,
  /** Documents of a YAML stream, items of a JSON array of manifests. */
  documents: 1000,
  /** Scalars and collections in one body. */
  nodes: 200_000,
  /** Alias references (`*name`); their expansion is bounded separately while composing. */
  aliases: 100,
} as const;

/** Problems reported for one body, at most; the rest are counted. */
export const MAX_ISSUES = 100;

// The lexer's own markers: they stand for no text of the source.
const MARKERS = new Set(['\u0002', '\u0018', '\u001f']);

/** Why a YAML text is refused before parsing (with its position), or undefined when it is within the limits. */
export const yamlLimitProblem = (text: string): Issue | undefined => {
  const at = positions(text);
  let offset = 0;
  let lineStart = 0;
  let depth = 0;
  let documents = 1;
  let nodes = 0;
  let aliases = 0;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    const column = offset - lineStart;
    if (type === 'flow-seq-start' || type === 'flow-map-start') {
      depth += 1;
      nodes += 1;
      if (depth > INPUT_LIMITS.depth) return at(offset, `nested deeper than ${INPUT_LIMITS.depth} levels`);
    } else if (type === 'flow-seq-end' || type === 'flow-map-end') {
      depth = Math.max(0, depth - 1);
    } else if (type === 'doc-start') {
      documents += 1;
      if (documents > INPUT_LIMITS.documents)
        return at(offset, `more than ${INPUT_LIMITS.documents} documents in one request`);
    } else if (type === 'alias') {
      aliases += 1;
      if (aliases > INPUT_LIMITS.aliases) return at(offset, `more than ${INPUT_LIMITS.aliases} aliases`);
    }
    if (type === 'scalar' || type === 'seq-item-ind' || type === 'explicit-key-ind') {
      if (type === 'scalar' || type === 'seq-item-ind') nodes += 1;
      if (depth === 0 && column > INPUT_LIMITS.indentColumns)
        return at(offset, `nested too deeply (a node starts past column ${INPUT_LIMITS.indentColumns})`);
    }
    if (nodes > INPUT_LIMITS.nodes) return at(offset, `more than ${INPUT_LIMITS.nodes} values in one request`);
    if (MARKERS.has(token)) continue;
    const newline = token.lastIndexOf('\n');
    if (newline >= 0) lineStart = offset + newline + 1;
    offset += token.length;
  }
  return undefined;
};

/** Why a JSON text is refused before parsing (nesting, or too many manifests), or undefined. */
export const jsonLimitProblem = (text: string): Issue | undefined => {
  const at = positions(text);
  let depth = 0;
  let topItems = 0;
  let inString = false;
  const arrayOfManifests = text.charCodeAt(firstNonSpace(text)) === 0x5b;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b || ch === 0x7b) {
      depth += 1;
      if (depth > INPUT_LIMITS.depth) return at(i, `nested deeper than ${INPUT_LIMITS.depth} levels`);
      if (depth === 2 && arrayOfManifests) {
        topItems += 1;
        if (topItems > INPUT_LIMITS.documents)
          return at(i, `more than ${INPUT_LIMITS.documents} manifests in one request`);
      }
    } else if (ch === 0x5d || ch === 0x7d) {
      depth -= 1;
    }
  }
  return undefined;
};

/** Keeps the first `MAX_ISSUES` problems and says how many more there were. */
export const capIssues = (issues: Issue[]): Issue[] =>
  issues.length <= MAX_ISSUES
    ? issues
    : [...issues.slice(0, MAX_ISSUES), { path: '', message: `… and ${issues.length - MAX_ISSUES} more problem(s)` }];

const firstNonSpace = (text: string): number => {
  const m = /\S/.exec(text);
  return m === null ? 0 : m.index;
};

// Line and column (1-based) of an offset, counted only when a problem is reported.
const positions =
  (text: string) =>
  (offset: number, message: string): Issue => {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return { path: '', message, line, column };
  };

import type { ParsedSelector, Selector } from './ast.ts';
import { parseComparison, parseMembership } from './comparison.ts';
import { type RawIssue, tokenize } from './lexer.ts';
import { MAX_SELECTOR_BYTES, MAX_SELECTOR_DEPTH, MAX_SELECTOR_ISSUES, utf8Length } from './limits.ts';
import {
  describe,
  isKeyword,
  isPunct,
  isWord,
  nearest,
  type ParseState,
  peek,
  positionOf,
  problem,
  readAs,
  skipTerm,
} from './state.ts';

/** `and`/`or` of the terms, flattening terms of the same kind; undefined when any term was broken. */
const combine = (kind: 'and' | 'or', terms: readonly (Selector | undefined)[]): Selector | undefined => {
  if (terms.some((t) => t === undefined)) return undefined;
  const flat = (terms as Selector[]).flatMap((t) => (t.kind === kind ? t.terms : [t]));
  return flat.length === 1 ? flat[0] : { kind, terms: flat };
};

/** One level deeper (a `(` or a `not`); past the limit, the parse stops with a problem. */
const deeper = (s: ParseState, offset: number, depth: number): boolean => {
  if (depth < MAX_SELECTOR_DEPTH) return true;
  problem(s, offset, `nested more than ${MAX_SELECTOR_DEPTH} levels deep (parentheses and not)`);
  s.fatal = true;
  return false;
};

/** `not x`, `( … )`, `value in field` or `field op value`. */
const parseUnary = (s: ParseState, depth: number): Selector | undefined => {
  const t = peek(s);
  const typo = t.kind === 'name' && !isKeyword(t) && isPunct(peek(s, 1), '(') ? nearest(t.text, ['not']) : undefined;
  if (typo !== undefined) {
    problem(s, t.offset, `unknown keyword ${describe(t)} (did you mean not?)`, 'not');
    readAs(s, 'not');
  }
  if (isWord(peek(s), 'not')) {
    if (!deeper(s, t.offset, depth)) return undefined;
    s.i++;
    const term = parseUnary(s, depth + 1);
    return term === undefined ? undefined : { kind: 'not', term };
  }
  if (isPunct(t, '(')) {
    if (!deeper(s, t.offset, depth)) return undefined;
    s.i++;
    const inner = parseOr(s, depth + 1);
    if (s.fatal) return undefined;
    if (isPunct(peek(s), ')')) {
      s.i++;
      return inner;
    }
    const { line, column } = positionOf(s.text, t.offset);
    problem(s, peek(s).offset, `expected ) to close the ( at line ${line}, column ${column}`);
    return undefined;
  }
  if (t.kind === 'string' || t.kind === 'number' || isWord(t, 'true') || isWord(t, 'false')) return parseMembership(s);
  if (t.kind === 'name' && !isKeyword(t)) return parseComparison(s);
  problem(s, t.offset, `expected a comparison, found ${describe(t)}`);
  skipTerm(s);
  return undefined;
};

/** After a term, a word that should have been `and` or `or`: reported, and read as the nearest. */
const joinTypo = (s: ParseState): boolean => {
  const t = peek(s);
  const near = t.kind === 'name' && !isKeyword(t) ? nearest(t.text, ['and', 'or']) : undefined;
  if (near === undefined) return false;
  problem(s, t.offset, `unknown keyword ${describe(t)} (did you mean ${near}?)`, near);
  readAs(s, near);
  return true;
};

const parseAnd = (s: ParseState, depth: number): Selector | undefined => {
  const terms = [parseUnary(s, depth)];
  while (!s.fatal) {
    const t = peek(s);
    if (isWord(t, 'and')) {
      s.i++;
      terms.push(parseUnary(s, depth));
    } else if (isWord(t, 'or') || isPunct(t, ')') || t.kind === 'end') {
      break;
    } else if (!joinTypo(s)) {
      problem(s, t.offset, `expected and, or, ) or the end of the selector, found ${describe(t)}`);
      skipTerm(s);
    }
  }
  return combine('and', terms);
};

const parseOr = (s: ParseState, depth: number): Selector | undefined => {
  const terms = [parseAnd(s, depth)];
  while (!s.fatal && isWord(peek(s), 'or')) {
    s.i++;
    terms.push(parseAnd(s, depth));
  }
  return combine('or', terms);
};

/**
 * Parses a selector (see docs/architecture.md, *Selectors*): the selector, or every problem found in
 * one pass, each with its offset, line and column, at `path` (the request field, `where` by default).
 */
export const parseSelector = (text: string, path = 'where'): ParsedSelector => {
  const size = utf8Length(text, MAX_SELECTOR_BYTES);
  if (size.over !== undefined) {
    const message = `a selector is at most ${MAX_SELECTOR_BYTES} bytes (4 KiB); this one has ${size.bytes}`;
    return failed(text, path, [{ offset: size.over, message }]);
  }
  const { tokens, issues } = tokenize(text);
  const s: ParseState = { text, tokens, i: 0, issues, terms: 0, fatal: false };
  if (tokens.length === 1) return failed(text, path, [...issues, { offset: 0, message: 'the selector is empty' }]);
  const selector = parseOr(s, 0);
  const rest = peek(s);
  if (!s.fatal && rest.kind !== 'end') {
    problem(s, rest.offset, isPunct(rest, ')') ? 'this ) closes no (' : `expected the end, found ${describe(rest)}`);
  }
  return selector === undefined || issues.length > 0 ? failed(text, path, issues) : { ok: true, selector };
};

const failed = (text: string, path: string, issues: readonly RawIssue[]): ParsedSelector => ({
  ok: false,
  issues: [...issues]
    .sort((a, b) => a.offset - b.offset)
    .slice(0, MAX_SELECTOR_ISSUES)
    .map((i) => ({ path, ...i, ...positionOf(text, i.offset) })),
});

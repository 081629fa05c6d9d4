import { type CompareOp, type Comparison, type FieldPath, ROOTS, type Scalar, type Segment } from './ast.ts';
import type { SymbolOp } from './lexer.ts';
import { MAX_GLOB_CHARS, MAX_SELECTOR_TERMS } from './limits.ts';
import { printPath, quote } from './print.ts';
import {
  describe,
  isKeyword,
  isPunct,
  isWord,
  nearest,
  type ParseState,
  peek,
  problem,
  readAs,
  skipTerm,
} from './state.ts';

const WORD_OPS = ['in', 'contains', 'startswith'] as const;
const OPERATORS = '==, !=, <, <=, >, >=, in, contains, startswith or ~';
/** Operators other languages spell as words, and their symbols here. */
const WORD_ALIASES: Readonly<Record<string, SymbolOp>> = {
  is: '==',
  eq: '==',
  equals: '==',
  ne: '!=',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
};
const REGEX_WORDS = ['matches', 'match', 'like', 'regex', 'regexp'];

/** Counts one more comparison; past the limit, the parse stops with a problem. */
const countTerm = (s: ParseState, offset: number): boolean => {
  s.terms++;
  if (s.terms <= MAX_SELECTOR_TERMS) return true;
  problem(s, offset, `more than ${MAX_SELECTOR_TERMS} comparisons in one selector (a group may say it shorter)`);
  s.fatal = true;
  return false;
};

/** A field path: a root or a fact's name, then `.name`, `["any name"]` or `[index]` steps. */
const parsePath = (s: ParseState): FieldPath | undefined => {
  const first = peek(s);
  if (first.kind !== 'name' || isKeyword(first)) {
    problem(s, first.offset, `expected a field, found ${describe(first)}`);
    return undefined;
  }
  s.i++;
  const root = (ROOTS as readonly string[]).includes(first.text) ? (first.text as FieldPath['root']) : 'facts';
  const segments: Segment[] = root === 'facts' && first.text !== 'facts' ? [first.text] : [];
  for (;;) {
    const t = peek(s);
    if (isPunct(t, '.')) {
      const name = peek(s, 1);
      if (name.kind !== 'name')
        return void problem(s, name.offset, 'expected a name after . (other names go in brackets: ["…"])');
      segments.push(name.text);
      s.i += 2;
    } else if (isPunct(t, '[')) {
      const step = peek(s, 1);
      const index = step.kind === 'number' && /^\d+$/.test(step.text) && Number.isSafeInteger(step.value);
      if (step.kind !== 'string' && !index) {
        return void problem(s, step.offset, 'expected a name in double quotes or an index (0, 1, …) after [');
      }
      if (!isPunct(peek(s, 2), ']')) return void problem(s, peek(s, 2).offset, `expected ] after ${describe(step)}`);
      segments.push(step.kind === 'string' ? step.value : (step as { value: number }).value);
      s.i += 3;
    } else {
      return { root, segments };
    }
  }
};

/** A literal: a string in double quotes, a number, true or false. */
const parseValue = (s: ParseState): Scalar | undefined => {
  const t = peek(s);
  if (t.kind === 'string' || t.kind === 'number') {
    s.i++;
    return t.value;
  }
  if (t.kind === 'name' && (t.text === 'true' || t.text === 'false')) {
    s.i++;
    return t.text === 'true';
  }
  const near = t.kind === 'name' ? nearest(t.text, ['true', 'false']) : undefined;
  const hint =
    near !== undefined
      ? ` (did you mean ${near}?)`
      : t.kind === 'name' && !isKeyword(t)
        ? ` (strings are quoted: ${quote(t.text)}; a field is never compared with another)`
        : '';
  problem(
    s,
    t.offset,
    `expected a value (a string in double quotes, a number, true or false), found ${describe(t)}${hint}`,
    near,
  );
  return undefined;
};

/** A list literal: `[` values separated by commas `]`. */
const parseList = (s: ParseState): Scalar[] | undefined => {
  if (!isPunct(peek(s), '[')) {
    return void problem(s, peek(s).offset, `in takes a list in brackets (["a", "b"]), found ${describe(peek(s))}`);
  }
  s.i++;
  const values: Scalar[] = [];
  if (isPunct(peek(s), ']')) {
    s.i++;
    return values;
  }
  for (;;) {
    const value = parseValue(s);
    if (value === undefined) return undefined;
    values.push(value);
    const t = peek(s);
    s.i++;
    if (isPunct(t, ']')) return values;
    if (!isPunct(t, ',')) {
      s.i--;
      return void problem(s, t.offset, `expected , or ] in the list, found ${describe(t)}`);
    }
  }
};

/** The string after `~` or `startswith`. */
const parseString = (s: ParseState, op: string): string | undefined => {
  const t = peek(s);
  if (t.kind === 'string') {
    s.i++;
    return t.value;
  }
  problem(s, t.offset, `${op} takes a string in double quotes, found ${describe(t)}`);
  return undefined;
};

/** What follows `field <` and its kin: a number, since only numbers are ordered. */
const parseNumber = (s: ParseState, op: string): number | undefined => {
  const t = peek(s);
  const value = parseValue(s);
  if (value === undefined || typeof value === 'number') return value;
  const hint = typeof value === 'string' ? ' (for versions and names, try startswith or ~)' : '';
  problem(s, t.offset, `${op} compares numbers, and ${describe(t)} is not one${hint}`);
  return undefined;
};

/** An operator word that is not one: the nearest operator, read as it so the check goes on. */
const unknownOperator = (s: ParseState, field: FieldPath): boolean => {
  const t = peek(s);
  if (t.kind === 'name' && REGEX_WORDS.includes(t.text.toLowerCase())) {
    problem(
      s,
      t.offset,
      `unknown operator ${t.text}: regular expressions are not supported (did you mean ~, a glob with * and ?)`,
      '~',
    );
    s.tokens[s.i] = { kind: 'op', text: '~', offset: t.offset };
    return true;
  }
  const alias = t.kind === 'name' ? WORD_ALIASES[t.text.toLowerCase()] : undefined;
  if (alias !== undefined) {
    problem(s, t.offset, `unknown operator ${describe(t)} (did you mean ${alias}?)`, alias);
    s.tokens[s.i] = { kind: 'op', text: alias, offset: t.offset };
    return true;
  }
  const near = t.kind === 'name' && !isKeyword(t) ? nearest(t.text, WORD_OPS) : undefined;
  if (near !== undefined && t.kind === 'name') {
    problem(s, t.offset, `unknown operator ${t.text} (did you mean ${near}?)`, near);
    readAs(s, near);
    return true;
  }
  problem(s, t.offset, `expected an operator after ${printPath(field)} (${OPERATORS}), found ${describe(t)}`);
  return false;
};

/** The operator and operand after a field. */
const parseOperator = (s: ParseState, field: FieldPath): Comparison | undefined => {
  const t = peek(s);
  if (t.kind === 'op') s.i++;
  if (t.kind === 'op' && t.text === '~') {
    const at = peek(s).offset;
    const pattern = parseString(s, '~');
    if (pattern === undefined) return undefined;
    if (pattern.length <= MAX_GLOB_CHARS) return { kind: 'glob', field, pattern };
    return void problem(
      s,
      at,
      `a glob pattern is at most ${MAX_GLOB_CHARS} characters (this one has ${pattern.length})`,
    );
  }
  if (t.kind === 'op' && (t.text === '==' || t.text === '!=')) {
    const value = parseValue(s);
    return value === undefined ? undefined : { kind: 'compare', field, op: t.text, value };
  }
  if (t.kind === 'op') {
    const value = parseNumber(s, t.text);
    return value === undefined ? undefined : { kind: 'compare', field, op: t.text as CompareOp, value };
  }
  if (isWord(t, 'in') || isWord(t, 'contains') || isWord(t, 'startswith')) s.i++;
  if (isWord(t, 'in')) {
    const values = parseList(s);
    return values === undefined ? undefined : { kind: 'in', field, values };
  }
  if (isWord(t, 'contains')) {
    const value = parseValue(s);
    return value === undefined ? undefined : { kind: 'contains', field, value };
  }
  if (isWord(t, 'startswith')) {
    const value = parseString(s, 'startswith');
    return value === undefined ? undefined : { kind: 'startswith', field, value };
  }
  return unknownOperator(s, field) ? parseOperator(s, field) : undefined;
};

/** `field op operand`; on a problem, what is left of it is skipped. */
export const parseComparison = (s: ParseState): Comparison | undefined => {
  const start = peek(s);
  if (!countTerm(s, start.offset)) return undefined;
  const field = parsePath(s);
  const comparison = field === undefined ? undefined : parseOperator(s, field);
  if (comparison === undefined && !s.fatal) skipTerm(s);
  return comparison;
};

/** `value in field`: the value is an element of the list (or a part of the string) the field holds. */
export const parseMembership = (s: ParseState): Comparison | undefined => {
  const start = peek(s);
  if (!countTerm(s, start.offset)) return undefined;
  const value = parseValue(s) as Scalar;
  const t = peek(s);
  const near = t.kind === 'name' && !isWord(t, 'in') ? nearest(t.text, ['in']) : undefined;
  if (near !== undefined) {
    problem(s, t.offset, `unknown operator ${describe(t)} (did you mean in?)`, 'in');
    readAs(s, 'in');
  }
  if (!isWord(peek(s), 'in')) {
    problem(s, t.offset, `expected in after ${describe(start)} (a value comes first only in "value in field")`);
    skipTerm(s);
    return undefined;
  }
  s.i++;
  const field = parsePath(s);
  if (field === undefined) skipTerm(s);
  return field === undefined ? undefined : { kind: 'contains', field, value };
};

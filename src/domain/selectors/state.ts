import { closest } from '../shared/index.ts';
import { KEYWORDS } from './ast.ts';
import type { RawIssue, Token } from './lexer.ts';
import { MAX_SELECTOR_ISSUES } from './limits.ts';
import { quote } from './print.ts';

/** A parse under way: the tokens, where it is, what it found wrong, and whether it must stop (a limit). */
export type ParseState = {
  readonly text: string;
  readonly tokens: Token[];
  i: number;
  readonly issues: RawIssue[];
  terms: number;
  fatal: boolean;
};

/** The token at the cursor (the end token once past the last). */
export const peek = (s: ParseState, ahead = 0): Token => s.tokens[Math.min(s.i + ahead, s.tokens.length - 1)] as Token;

/** True when `t` is the word `word` (a keyword, or a name). */
export const isWord = (t: Token, word: string): boolean => t.kind === 'name' && t.text === word;

/** True when `t` is the punctuation `p`. */
export const isPunct = (t: Token, p: string): boolean => t.kind === 'punct' && t.text === p;

/** True when `t` is one of the language's own words. */
export const isKeyword = (t: Token): boolean => t.kind === 'name' && (KEYWORDS as readonly string[]).includes(t.text);

/** Records a problem (up to the cap). */
export const problem = (s: ParseState, offset: number, message: string, suggestion?: string): void => {
  if (s.issues.length >= MAX_SELECTOR_ISSUES) return;
  s.issues.push(suggestion === undefined ? { offset, message } : { offset, message, suggestion });
};

/** A token as a person would name it in a message. */
export const describe = (t: Token): string => {
  switch (t.kind) {
    case 'end':
      return 'the end of the selector';
    case 'string':
      return t.value.length > 40 ? `${quote(t.value.slice(0, 40))}…` : quote(t.value);
    default:
      return t.text;
  }
};

/**
 * The word meant by a mistyped one: the same word in lower case (`AND`), else the nearest by edit
 * distance when it is close enough to be a typo.
 */
export const nearest = (typed: string, words: readonly string[]): string | undefined =>
  words.includes(typed.toLowerCase()) ? typed.toLowerCase() : closest(typed, words);

/** Reads the cursor's word as `word` from now on (a typo already reported), so parsing goes on. */
export const readAs = (s: ParseState, word: string): void => {
  s.tokens[s.i] = { kind: 'name', text: word, offset: peek(s).offset };
};

/**
 * Skips what is left of a broken comparison: to the next `and` or `or`, the `)` that closes the
 * group it is in, or the end, so the next problem can be found in the same pass.
 */
export const skipTerm = (s: ParseState): void => {
  let depth = 0;
  for (;;) {
    const t = peek(s);
    if (t.kind === 'end') return;
    if (depth === 0 && (isWord(t, 'and') || isWord(t, 'or') || isPunct(t, ')'))) return;
    if (isPunct(t, '(')) depth++;
    if (isPunct(t, ')')) depth--;
    s.i++;
  }
};

/** Line and column (1-based, columns in UTF-16 units) of an offset in a text. */
export const positionOf = (text: string, offset: number): { line: number; column: number } => {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
};

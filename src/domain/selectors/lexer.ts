/** A problem found while reading a selector, before line and column are worked out. */
export type RawIssue = { readonly offset: number; readonly message: string; readonly suggestion?: string };

/** The operators written with symbols. */
export type SymbolOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '~';

/** One token of a selector's text, with the offset it starts at. */
export type Token =
  | { readonly kind: 'name'; readonly text: string; readonly offset: number }
  | { readonly kind: 'string'; readonly value: string; readonly offset: number }
  | { readonly kind: 'number'; readonly value: number; readonly text: string; readonly offset: number }
  | { readonly kind: 'op'; readonly text: SymbolOp; readonly offset: number }
  | { readonly kind: 'punct'; readonly text: '(' | ')' | '[' | ']' | ',' | '.'; readonly offset: number }
  | { readonly kind: 'end'; readonly offset: number };

/**
 * Symbols people bring from other languages: what to suggest, and what to read them as so that the
 * rest of the text is still checked in the same pass.
 */
const MISTAKES: readonly { typed: string; meant: string; readAs: SymbolOp | 'and' | 'or' | 'not' }[] = [
  { typed: '===', meant: '==', readAs: '==' },
  { typed: '!==', meant: '!=', readAs: '!=' },
  { typed: '=~', meant: '~', readAs: '~' },
  { typed: '!~', meant: 'not (… ~ …)', readAs: '~' },
  { typed: '&&', meant: 'and', readAs: 'and' },
  { typed: '||', meant: 'or', readAs: 'or' },
  { typed: '<>', meant: '!=', readAs: '!=' },
  { typed: '=>', meant: '>=', readAs: '>=' },
  { typed: '=<', meant: '<=', readAs: '<=' },
  { typed: '=', meant: '==', readAs: '==' },
  { typed: '!', meant: 'not', readAs: 'not' },
  { typed: '&', meant: 'and', readAs: 'and' },
  { typed: '|', meant: 'or', readAs: 'or' },
];
const OPS: readonly SymbolOp[] = ['==', '!=', '<=', '>=', '<', '>', '~'];
const PUNCT = '()[],.';
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t' };

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isNameStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isNameChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

const asToken = (readAs: SymbolOp | 'and' | 'or' | 'not', offset: number): Token =>
  OPS.includes(readAs as SymbolOp)
    ? { kind: 'op', text: readAs as SymbolOp, offset }
    : { kind: 'name', text: readAs, offset };

/** A symbol, spelled right or as a known mistake (longest first), as the token it is read as. */
const readSymbol = (text: string, at: number, issues: RawIssue[]): { token: Token; length: number } | undefined => {
  const op = OPS.find((o) => text.startsWith(o, at));
  const mistake = MISTAKES.find((m) => text.startsWith(m.typed, at));
  if (op !== undefined && (mistake === undefined || mistake.typed.length <= op.length)) {
    return { token: { kind: 'op', text: op, offset: at }, length: op.length };
  }
  if (mistake === undefined) return undefined;
  const { typed, meant, readAs } = mistake;
  issues.push({ offset: at, message: `unknown operator ${typed} (did you mean ${meant}?)`, suggestion: meant });
  return { token: asToken(readAs, at), length: typed.length };
};

/** A string literal from its opening quote (double, or single as a mistake read as double). */
const readString = (text: string, at: number, issues: RawIssue[]): { token: Token; length: number } => {
  const quote = text[at] as string;
  if (quote === "'") issues.push({ offset: at, message: 'strings are written in double quotes ("…")' });
  let value = '';
  let i = at + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined || c === '\n' || c === '\r') {
      issues.push({ offset: at, message: 'this string is not closed (a string ends on the line it starts)' });
      break;
    }
    if (c === quote) {
      i++;
      break;
    }
    if (c === '\\') {
      const escaped = ESCAPES[text[i + 1] ?? ''];
      if (escaped === undefined) {
        issues.push({ offset: i, message: 'unknown escape: a string may hold \\", \\\\, \\n, \\r and \\t' });
        value += c;
        i++;
        continue;
      }
      value += escaped;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  return { token: { kind: 'string', value, offset: at }, length: i - at };
};

const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** A number: `-`, digits, a fraction and an exponent; a word glued to it (`10gb`) is a problem. */
const readNumber = (text: string, at: number, issues: RawIssue[]): { token: Token; length: number } => {
  NUMBER.lastIndex = at;
  const match = NUMBER.exec(text) as RegExpExecArray;
  let length = match[0].length;
  if (isNameChar(text[at + length])) {
    while (isNameChar(text[at + length])) length++;
    issues.push({ offset: at, message: `${text.slice(at, at + length)} is not a number (strings are quoted)` });
  }
  const value = Number(match[0]);
  if (!Number.isFinite(value)) issues.push({ offset: at, message: `${match[0]} is too large a number` });
  // -0 prints as 0: one value, one spelling
  const token: Token = { kind: 'number', value: value === 0 ? 0 : value, text: match[0], offset: at };
  return { token, length };
};

/** The tokens of a selector's text, and every problem with its characters (each read past, to find the next). */
export const tokenize = (text: string): { tokens: Token[]; issues: RawIssue[] } => {
  const tokens: Token[] = [];
  const issues: RawIssue[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const read =
      c === '"' || c === "'"
        ? readString(text, i, issues)
        : isDigit(c) || (c === '-' && isDigit(text[i + 1]))
          ? readNumber(text, i, issues)
          : isNameStart(c)
            ? readName(text, i)
            : PUNCT.includes(c)
              ? { token: { kind: 'punct', text: c, offset: i } as Token, length: 1 }
              : readSymbol(text, i, issues);
    if (read === undefined) {
      const char = String.fromCodePoint(text.codePointAt(i) as number);
      issues.push({ offset: i, message: `unexpected character ${JSON.stringify(char)}` });
      i += char.length;
      continue;
    }
    tokens.push(read.token);
    i += read.length;
  }
  tokens.push({ kind: 'end', offset: text.length });
  return { tokens, issues };
};

const readName = (text: string, at: number): { token: Token; length: number } => {
  let end = at + 1;
  while (isNameChar(text[end])) end++;
  return { token: { kind: 'name', text: text.slice(at, end), offset: at }, length: end - at };
};

import { type FieldPath, isName, KEYWORDS, ROOTS, type Scalar, type Segment, type Selector } from './ast.ts';

const RESERVED: ReadonlySet<string> = new Set([...KEYWORDS, ...ROOTS]);
const ESCAPED: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A string literal: double quotes, with `"`, `\`, and line breaks and tabs escaped. */
export const quote = (s: string): string => `"${s.replace(/["\\\n\r\t]/g, (c) => ESCAPED[c] as string)}"`;

/** A literal as written in a selector. */
export const printValue = (v: Scalar): string => (typeof v === 'string' ? quote(v) : String(v));

const printSegment = (s: Segment): string => (typeof s === 'number' ? `[${s}]` : isName(s) ? `.${s}` : `[${quote(s)}]`);

/**
 * A field path as written: a fact whose first name is plain and not a keyword or root stands alone
 * (`os.family`); any other is spelled from `facts` (`facts.in`, `facts["inventory-linux"].os`).
 */
export const printPath = (p: FieldPath): string => {
  const [first, ...rest] = p.segments;
  if (p.root === 'facts' && typeof first === 'string' && isName(first) && !RESERVED.has(first)) {
    return first + rest.map(printSegment).join('');
  }
  return p.root + p.segments.map(printSegment).join('');
};

const inParens = (s: Selector, when: readonly Selector['kind'][]): string =>
  when.includes(s.kind) ? `(${selectorText(s)})` : selectorText(s);

/**
 * The canonical text of a selector: one space around operators and keywords, parentheses only
 * where precedence needs them (so never nested deeper than the text it was parsed from), `value in
 * field` written `field contains value`. `parseSelector(selectorText(s))` gives back `s`.
 */
export const selectorText = (s: Selector): string => {
  switch (s.kind) {
    case 'or':
      return s.terms.map((t) => selectorText(t)).join(' or ');
    case 'and':
      return s.terms.map((t) => inParens(t, ['or'])).join(' and ');
    case 'not':
      return `not ${inParens(s.term, ['and', 'or'])}`;
    case 'compare':
      return `${printPath(s.field)} ${s.op} ${printValue(s.value)}`;
    case 'in':
      return `${printPath(s.field)} in [${s.values.map(printValue).join(', ')}]`;
    case 'contains':
      return `${printPath(s.field)} contains ${printValue(s.value)}`;
    case 'startswith':
      return `${printPath(s.field)} startswith ${quote(s.value)}`;
    case 'glob':
      return `${printPath(s.field)} ~ ${quote(s.pattern)}`;
  }
};

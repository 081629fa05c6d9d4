import { describe, expect, it } from 'vitest';
import type { FieldPath, Scalar, Segment, Selector } from './ast.ts';
import { MAX_SELECTOR_BYTES } from './limits.ts';
import { parseSelector } from './parser.ts';
import { selectorText } from './print.ts';

const canonical = (text: string): string => {
  const r = parseSelector(text);
  if (!r.ok) throw new Error(`${text}: ${r.issues.map((i) => i.message).join('; ')}`);
  return selectorText(r.selector);
};

describe('selector printing › canonical text', () => {
  it.each([
    ['os.family=="windows"and disk.free_gb<10', 'os.family == "windows" and disk.free_gb < 10'],
    ['"lab" in groups', 'groups contains "lab"'],
    ['not (os.name ~ "Debian*")', 'not os.name ~ "Debian*"'],
    ['((a == 1) or (b == 2)) and c == 3', '(a == 1 or b == 2) and c == 3'],
    ['a == 1 or (b == 2 and c == 3)', 'a == 1 or b == 2 and c == 3'],
    ['(a == 1 and b == 2) and c == 3', 'a == 1 and b == 2 and c == 3'],
    ['not (a == 1 and b == 2)', 'not (a == 1 and b == 2)'],
    ['pc_id in ["pc-1","pc-2"]', 'pc_id in ["pc-1", "pc-2"]'],
    ['a == 1.50', 'a == 1.5'],
    ['a == 1e21', 'a == 1e+21'],
    ['a == -0.0', 'a == 0'],
    ['a == 007', 'a == 7'],
    ['a == "q\\"\\\\\\n\\t\\r"', 'a == "q\\"\\\\\\n\\t\\r"'],
    ['facts.os == "x"', 'os == "x"'],
    ['facts["os"]["family"] == "x"', 'os.family == "x"'],
    ['facts.groups == "x"', 'facts.groups == "x"'],
    ['facts.not == "x"', 'facts.not == "x"'],
    ['facts["inventory-linux"].os == "x"', 'facts["inventory-linux"].os == "x"'],
    ['inventory["inventory-linux"].disks[0].mount == "/"', 'inventory["inventory-linux"].disks[0].mount == "/"'],
    ['facts[0] == 1', 'facts[0] == 1'],
    ['facts == 1', 'facts == 1'],
  ])('%s prints as %s', (text, printed) => expect(canonical(text)).toBe(printed));
});

/** A small deterministic generator (a linear congruential one): the same selectors on every run. */
const generator = (seed: number) => {
  let state = seed;
  const int = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * n);
  };
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const chars = ['a', 'Z', '_', '-', ' ', '.', '"', '\\', '\n', '\t', '\r', '*', '?', 'é', '日', '😀', '[', ']', '0'];
  const string = (max: number) => Array.from({ length: int(max) }, () => pick(chars)).join('');
  const names = ['os', 'family', 'disk', 'free_gb', 'x1', '_y', 'in', 'and', 'not', 'groups', 'pc_id', 'facts', 'true'];
  const number = () => pick([0, 1, -1, 10, 0.5, -2.25, 1e21, 1e-7, 123456789, Number.MAX_SAFE_INTEGER, 5e-324]);
  const scalar = (): Scalar => pick([() => string(6), number, () => int(2) === 0])();
  const segment = (): Segment => pick([() => pick(names), () => string(5), () => int(100)])();
  const field = (): FieldPath => {
    const root = pick(['pc_id', 'groups', 'facts', 'facts', 'facts'] as const);
    return { root, segments: Array.from({ length: int(4) }, segment) };
  };
  const comparison = (): Selector => {
    const f = field();
    switch (int(5)) {
      case 0: {
        const op = pick(['==', '!=', '<', '<=', '>', '>='] as const);
        return { kind: 'compare', field: f, op, value: op === '==' || op === '!=' ? scalar() : number() };
      }
      case 1:
        return { kind: 'in', field: f, values: Array.from({ length: int(4) }, scalar) };
      case 2:
        return { kind: 'contains', field: f, value: scalar() };
      case 3:
        return { kind: 'startswith', field: f, value: string(6) };
      default:
        return { kind: 'glob', field: f, pattern: string(8) };
    }
  };
  // and/or hold 2–4 terms and never one of their own kind, as the parser builds them
  const selector = (depth: number, parent?: string): Selector => {
    const kinds = ['cmp', 'cmp', 'not', 'and', 'or'].filter((k) => k !== parent && (depth > 0 || k === 'cmp'));
    const kind = pick(kinds);
    if (kind === 'cmp') return comparison();
    if (kind === 'not') return { kind: 'not', term: selector(depth - 1) };
    const terms = Array.from({ length: 2 + int(3) }, () => selector(depth - 1, kind));
    return { kind: kind as 'and' | 'or', terms };
  };
  return { selector };
};

describe('selector printing › round trip', () => {
  it('parses the printed text of a selector back to the same selector, for 2000 generated ones', () => {
    const { selector } = generator(42);
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const s = selector(1 + (i % 5));
      const text = selectorText(s);
      if (new TextEncoder().encode(text).length > MAX_SELECTOR_BYTES) continue;
      const r = parseSelector(text);
      expect(r.ok ? r.selector : r.issues, text).toEqual(s);
      expect(r.ok && selectorText(r.selector)).toBe(text);
      checked++;
    }
    expect(checked).toBeGreaterThan(1500);
  });

  it('prints a selector at the depth limit to a text that parses', () => {
    let s: Selector = { kind: 'compare', field: { root: 'facts', segments: ['a'] }, op: '==', value: 1 };
    const b: Selector = { kind: 'compare', field: { root: 'facts', segments: ['b'] }, op: '==', value: 2 };
    // each level is a not and a pair of parentheses: 32 of them are 64 levels deep
    for (let i = 0; i < 32; i++) s = { kind: 'not', term: { kind: 'and', terms: [s, b] } };
    const text = selectorText(s);
    expect(text.startsWith('not (not ('.repeat(16))).toBe(true);
    expect(parseSelector(text)).toEqual({ ok: true, selector: s });
    expect(parseSelector(`not (${text} and b == 2)`).ok).toBe(false);
  });
});

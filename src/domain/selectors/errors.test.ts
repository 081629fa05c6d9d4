import { describe, expect, it } from 'vitest';
import type { SelectorIssue } from './ast.ts';
import { MAX_GLOB_CHARS, MAX_SELECTOR_BYTES, MAX_SELECTOR_DEPTH, MAX_SELECTOR_TERMS } from './limits.ts';
import { parseSelector } from './parser.ts';

const issues = (text: string): SelectorIssue[] => {
  const r = parseSelector(text);
  if (r.ok) throw new Error(`${text} parsed`);
  return r.issues;
};
const first = (text: string): SelectorIssue => issues(text)[0] as SelectorIssue;
const where = (i: SelectorIssue) => [i.line, i.column, i.offset];

describe('selector errors › suggestions', () => {
  it.each([
    ['a == 1 adn b == 2', 'and'],
    ['a == 1 OR b == 2', 'or'],
    ['a == 1 && b == 2', 'and'],
    ['a == 1 || b == 2', 'or'],
    ['nto (a == 1)', 'not'],
    ['!(a == 1)', 'not'],
    ['a = 1', '=='],
    ['a === 1', '=='],
    ['a !== 1', '!='],
    ['a <> 1', '!='],
    ['a =< 1', '<='],
    ['a => 1', '>='],
    ['a =~ "x*"', '~'],
    ['groups contians "x"', 'contains'],
    ['v startwith "3"', 'startswith'],
    ['v startsWith "3"', 'startswith'],
    ['a inn [1]', 'in'],
    ['"lab" inn groups', 'in'],
    ['a matches "x.*"', '~'],
    ['a is "x"', '=='],
    ['a GE 4', '>='],
    ['a == True', 'true'],
    ['a == flase', 'false'],
  ])('%s: did you mean %s?', (text, suggestion) => {
    const issue = first(text);
    expect(issue.suggestion).toBe(suggestion);
    expect(issue.message).toContain(`did you mean ${suggestion}`);
  });

  it('explains that regular expressions are not supported', () =>
    expect(first('a matches "x.*"').message).toMatch(/regular expressions are not supported/));

  it('points an unquoted string at its quotes', () =>
    expect(first('os.family == windows').message).toContain('strings are quoted: "windows"'));

  it('points an ordering of a string at startswith and ~', () =>
    expect(first('v >= "3.0"').message).toMatch(/compares numbers.*startswith or ~/));

  it('names the operators after a field it cannot read on from', () =>
    expect(first('os.family xyzzy "x"').message).toMatch(
      /expected an operator after os.family \(==, !=.*~\), found xyzzy/,
    ));
});

describe('selector errors › positions', () => {
  it('gives offset, line and column (1-based) on multi-line input', () => {
    const [issue] = issues('os.family == "windows"\n  and disk.free_gb <\n  10 adn x == 1');
    expect(issue?.message).toContain('did you mean and');
    expect(where(issue as SelectorIssue)).toEqual([3, 6, 49]);
    expect(issue?.path).toBe('where');
  });

  it('counts a CRLF line break once', () => expect(where(first('a == 1\r\nadn b == 2'))).toEqual([2, 1, 8]));

  it('puts the problems at the request path given', () =>
    expect(parseSelector('x', 'target.where')).toMatchObject({
      ok: false,
      issues: [{ path: 'target.where' }],
    }));

  it('finds every problem it can in one pass, in order', () => {
    const found = issues('os.family = "windows" && x contians "a"\nor y == bogus or (z == 1');
    expect(found.map((i) => [i.line, i.column, i.suggestion])).toEqual([
      [1, 11, '=='],
      [1, 23, 'and'],
      [1, 28, 'contains'],
      [2, 9, undefined],
      [2, 25, undefined],
    ]);
    expect(found[3]?.message).toContain('strings are quoted: "bogus"');
    expect(found[4]?.message).toBe('expected ) to close the ( at line 2, column 18');
  });

  it.each([
    ['', 'the selector is empty', 0],
    ['   ', 'the selector is empty', 0],
    ['a == 1 )', 'this ) closes no (', 7],
    ['(a == 1', 'expected ) to close the ( at line 1, column 1', 7],
    ['a ==', 'expected a value (a string in double quotes, a number, true or false), found the end of the selector', 4],
    ['a', 'expected an operator after a', 1],
    ['and a == 1', 'expected a comparison, found and', 0],
    ['a == "x', 'this string is not closed', 5],
    ['a == "x\n"', 'this string is not closed', 5],
    ['a == "\\q"', 'unknown escape', 6],
    ["a == 'x'", 'strings are written in double quotes', 5],
    ['a == 1 # note', 'unexpected character "#"', 7],
    ['a == 10gb', '10gb is not a number', 5],
    ['a == 1e999', '1e999 is too large a number', 5],
    ['a. == 1', 'expected a name after .', 3],
    ['a[-1] == 1', 'expected a name in double quotes or an index', 2],
    ['a[1.5] == 1', 'expected a name in double quotes or an index', 2],
    ['a["x" == 1', 'expected ] after "x"', 6],
    ['a in 1', 'in takes a list in brackets', 5],
    ['a in [1 2]', 'expected , or ] in the list, found 2', 8],
    ['a in [x]', 'expected a value', 6],
    ['a ~ 1', '~ takes a string in double quotes', 4],
    ['a startswith 1', 'startswith takes a string in double quotes', 13],
    ['"a" == b', 'expected in after "a"', 4],
    ['"a" in "b"', 'expected a field, found "b"', 7],
    ['in == 1', 'expected a comparison, found in', 0],
    ['a < true', '< compares numbers', 4],
  ])('%j: %s (offset %i)', (text, message, offset) => {
    const issue = first(text);
    expect(issue.message).toContain(message);
    expect(issue.offset).toBe(offset);
  });
});

describe('selector errors › limits', () => {
  const terms = (n: number) => Array.from({ length: n }, (_, i) => `f${i} == ${i}`).join(' or ');

  it(`takes ${MAX_SELECTOR_BYTES} bytes and refuses one more, counting UTF-8`, () => {
    const at = (n: number) => `a == "${'x'.repeat(n - 7)}"`;
    expect(parseSelector(at(MAX_SELECTOR_BYTES)).ok).toBe(true);
    expect(issues(at(MAX_SELECTOR_BYTES + 1))).toEqual([
      expect.objectContaining({ message: expect.stringContaining('at most 4096 bytes (4 KiB); this one has 4097') }),
    ]);
    // 6 + 2 × 2045 bytes fill 4096: the closing quote, character 2051, is the byte too many
    const wide = `a == "${'é'.repeat(2045)}"`;
    expect(first(wide).offset).toBe(2051);
    expect(first(`a == "x${'é'.repeat(2045)}"`).offset).toBe(7 + 2044);
  });

  it(`takes ${MAX_SELECTOR_DEPTH} levels of nesting and refuses the next, with no stack overflow`, () => {
    const nested = (n: number) => `${'('.repeat(n)}a == 1${')'.repeat(n)}`;
    expect(parseSelector(nested(MAX_SELECTOR_DEPTH)).ok).toBe(true);
    expect(issues(nested(MAX_SELECTOR_DEPTH + 1))).toEqual([
      expect.objectContaining({ offset: MAX_SELECTOR_DEPTH, message: expect.stringContaining('nested more than 64') }),
    ]);
    expect(parseSelector(`${'not '.repeat(MAX_SELECTOR_DEPTH)}a == 1`).ok).toBe(true);
    expect(first(`${'not '.repeat(MAX_SELECTOR_DEPTH + 1)}a == 1`).message).toContain('nested more than 64');
    expect(first(`${'('.repeat(2000)}`).message).toContain('nested more than 64');
    expect(first(`${'not '.repeat(1000)}`).message).toContain('nested more than 64');
  });

  it(`takes ${MAX_SELECTOR_TERMS} comparisons and refuses the next`, () => {
    expect(parseSelector(terms(MAX_SELECTOR_TERMS)).ok).toBe(true);
    const over = issues(terms(MAX_SELECTOR_TERMS + 1));
    expect(over).toHaveLength(1);
    expect(over[0]?.message).toContain('more than 256 comparisons');
    expect(first(Array.from({ length: 300 }, () => '"a" in g').join(' or ')).message).toContain('more than 256');
  });

  it(`takes a glob of ${MAX_GLOB_CHARS} characters and refuses a longer one`, () => {
    expect(parseSelector(`a ~ "${'*'.repeat(MAX_GLOB_CHARS)}"`).ok).toBe(true);
    const issue = first(`a ~ "${'*?'.repeat(200)}"`);
    expect(issue.message).toBe('a glob pattern is at most 256 characters (this one has 400)');
    expect(issue.offset).toBe(4);
  });

  it('lists at most 100 problems', () => expect(issues('#'.repeat(500))).toHaveLength(100));
});

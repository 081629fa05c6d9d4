import { describe, expect, it } from 'vitest';
import { globMatch } from './glob.ts';

describe('glob matching', () => {
  it.each([
    ['Debian*', 'Debian GNU/Linux 12', true],
    ['Debian*', 'debian', false],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['a', 'a', true],
    ['a', 'ab', false],
    ['?', 'a', true],
    ['?', '', false],
    ['??', 'a', false],
    ['*.local', 'pc-1.corp.local', true],
    ['*.local', 'local', false],
    ['pc-??', 'pc-01', true],
    ['pc-??', 'pc-1', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['*ab', 'aab', true],
    ['ab*', 'aab', false],
    ['*a?c*', 'xxabcxx', true],
    ['*a?c*', 'xxacxx', false],
    ['**', 'x', true],
    ['*x*x*', 'axbxc', true],
    ['*x*x*', 'axb', false],
    ['win*10*pro', 'windows 10 pro', true],
    ['[a]', '[a]', true],
    ['a.b', 'aXb', false],
  ])('%j against %j is %s', (pattern, value, expected) => expect(globMatch(pattern, value)).toBe(expected));

  it('agrees with a regular expression built from the glob, over many small cases', () => {
    const alphabet = ['a', 'b', '*', '?'];
    const reference = (p: string) => new RegExp(`^${p.replace(/\*/g, '[^]*').replace(/\?/g, '[^]')}$`);
    let checked = 0;
    const words = (n: number, letters: string[]): string[] =>
      n === 0 ? [''] : words(n - 1, letters).flatMap((w) => [w, ...letters.map((l) => w + l)]);
    const patterns = [...new Set(words(4, alphabet))];
    const values = [...new Set(words(4, ['a', 'b']))];
    for (const p of patterns) {
      const re = reference(p);
      for (const v of values) {
        expect(globMatch(p, v), `${p} ~ ${v}`).toBe(re.test(v));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('agrees with a regular expression on long parts with ?, across 32-character words', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = (n: number, letters: string) =>
      Array.from({ length: n }, () => letters[next(letters.length)]).join('');
    for (let round = 0; round < 300; round++) {
      const part = text(20 + next(60), 'ab?');
      const pattern = `${text(next(3), 'ab')}*${part}*${text(next(3), 'ab')}`;
      const value = text(next(200), 'ab');
      const re = new RegExp(`^${pattern.replace(/\*/g, '[^]*').replace(/\?/g, '[^]')}$`);
      expect(globMatch(pattern, value), `${pattern} ~ ${value}`).toBe(re.test(value));
      const planted = `${value}${part.replace(/\?/g, 'b')}${value}`;
      expect(globMatch(`*${part}*`, planted), `${part} in ${planted}`).toBe(true);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { decodeId, encodeId } from './idEncoding.ts';
import { PC_ID_MAX_CHARS, pcIdProblem } from './pcId.ts';

// What each component accepts (nats-server 2.9 and nats.js v3, the KV key rule, POSIX and Windows file names).
const subjectToken = /^[^\s.*>]+$/;
const kvKey = /^[-/_=.a-zA-Z0-9]+$/;
const fileName = (s: string) =>
  s !== '.' && s !== '..' && !/[/\\:*?"<>|]/.test(s) && !s.includes('\u0000') && Buffer.byteLength(s) <= 255;

// Ids seen in real fleets.
const REAL = [
  'ws01',
  'ws01.corp.example',
  'WS01.CORP.EXAMPLE',
  'CORP\\WS02',
  'käse-pc',
  '東京-端末-07',
  'host_with_underscore',
  'a'.repeat(63),
  `${'label63'.padEnd(63, 'x')}.${'y'.repeat(63)}.${'z'.repeat(40)}.example.com`,
  'x1:2:3', // a MAC-ish name
  'pc=1', // the escape character itself
  'pc%41', // the legacy escape character
];

describe('the id encoding', () => {
  it.each(REAL)('round-trips %s into a subject token, a KV key and a file name', (id) => {
    const token = encodeId(id);
    expect(decodeId(token)).toBe(id);
    expect(token).toMatch(subjectToken);
    expect(token).toMatch(kvKey);
    expect(fileName(token)).toBe(true);
    expect(pcIdProblem(id)).toBeUndefined();
  });

  it('round-trips hostile strings too (the encoding itself never fails on them)', () => {
    for (const id of [
      '..',
      '/',
      'a/b',
      '*',
      '>',
      'a b',
      'nul\u0000byte',
      '\u202Eevil',
      'tab\there',
      '.hidden',
      '-flag',
    ])
      expect(decodeId(encodeId(id))).toBe(id);
  });

  it('keeps distinct ids distinct (no two ids share a token)', () => {
    const ids = [...REAL, 'a.b', 'a=2Eb', 'a%2Eb', 'A.B', 'a-b', 'a_b'];
    expect(new Set(ids.map(encodeId)).size).toBe(ids.length);
  });

  it('reads tokens written with the legacy %XX escapes, and refuses malformed ones', () => {
    expect(decodeId('ws01%2Ecorp')).toBe('ws01.corp');
    expect(() => decodeId('bad=Z1')).toThrow(/bad escape/);
    expect(() => decodeId('has.dot')).toThrow(/cannot occur/);
    expect(() => decodeId('=C3')).toThrow(); // not UTF-8
  });
});

describe('pc ids', () => {
  it.each([
    ['', /empty/],
    ['..', /cannot start with "."/],
    ['../etc', /"\/"/],
    ['a/b', /"\/"/],
    ['*', /wildcards|"\*"/],
    ['all>', /">"/],
    ['with space', /white space/],
    ['nul\u0000', /control/],
    ['\u202Eevil', /control/],
    ['-rf', /cannot start with/],
    ['x'.repeat(PC_ID_MAX_CHARS + 1), /at most 253/],
    ['ü'.repeat(100), /too long once encoded/],
  ])('refuses %j with a reason', (id, reason) => expect(pcIdProblem(id)).toMatch(reason));
});

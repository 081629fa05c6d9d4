import { describe, expect, it } from 'vitest';
import { formatDuration, normalizeDuration, parseDuration } from './duration.ts';

describe('humantime durations', () => {
  it.each([
    ['30s', 30],
    ['10m', 600],
    ['1h30m', 5400],
    ['1h 30m', 5400],
    ['2d', 172800],
    ['1 week', 604800],
    ['90 minutes', 5400],
    ['0s', 0],
  ])('parses %s as %i seconds', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  it.each(['', '30', 's', '10x', '-5s', '1.5h', '10m garbage'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats the largest units first', () => {
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(90061)).toBe('1d1h1m1s');
    expect(formatDuration(0)).toBe('0s');
  });

  it('normalizes equivalent spellings to one form', () => {
    expect(normalizeDuration('90 minutes')).toBe('1h30m');
    expect(normalizeDuration('5400s')).toBe('1h30m');
  });
});

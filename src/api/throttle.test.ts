import { describe, expect, it } from 'vitest';
import { createThrottle } from './throttle.ts';

describe('sign-in throttle', () => {
  it('lets a few failures through, then doubles the wait, and forgets on success', () => {
    const t = createThrottle({ free: 3, capSeconds: 60 });
    for (let i = 0; i < 3; i++) {
      expect(t.waitFor('alice', 1000)).toBe(0);
      t.failed('alice', 1000);
    }
    expect(t.waitFor('alice', 1000)).toBe(1);
    t.failed('alice', 2000);
    expect(t.waitFor('alice', 2000)).toBe(2);
    expect(t.waitFor('alice', 4000)).toBe(0);
    expect(t.waitFor('bob', 2000)).toBe(0);
    t.succeeded('alice');
    expect(t.waitFor('alice', 4000)).toBe(0);
  });

  it('caps the wait, and forgets after a long quiet spell', () => {
    const t = createThrottle({ free: 0, capSeconds: 10 });
    for (let i = 0; i < 20; i++) t.failed('x', 0);
    expect(t.waitFor('x', 0)).toBe(10);
    expect(t.waitFor('x', 21_000)).toBe(0);
  });

  it('keeps a bounded number of keys', () => {
    const t = createThrottle({ free: 0, capSeconds: 10, maxKeys: 2 });
    t.failed('a', 0);
    t.failed('b', 0);
    t.failed('c', 0);
    expect(t.waitFor('a', 0)).toBe(0);
    expect(t.waitFor('c', 0)).toBe(2);
  });
});

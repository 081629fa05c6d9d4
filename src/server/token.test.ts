import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateToken, tokenFile } from './token.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'kanade-token-'));

describe('the admin token', () => {
  it('is generated on first start, readable only by its owner, and reused after', () => {
    const data = dir();
    const first = loadOrCreateToken(data, undefined);
    expect(first.created).toBe(true);
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(tokenFile(data)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateToken(data, undefined)).toEqual({ token: first.token, created: false });
  });

  it('comes from KANADE_TOKEN when set', () =>
    expect(loadOrCreateToken(dir(), 'an-explicit-token-0123')).toEqual({
      token: 'an-explicit-token-0123',
      created: false,
    }));

  it('is refused when too short, wherever it comes from', () => {
    expect(() => loadOrCreateToken(dir(), 'short')).toThrow(/shorter than 16/);
    const data = dir();
    writeFileSync(tokenFile(data), '\n');
    expect(() => loadOrCreateToken(data, undefined)).toThrow(/shorter than 16/);
  });
});

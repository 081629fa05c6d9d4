import { describe, expect, it } from 'vitest';
import { csrfFor, isTokenShaped, safeNext } from './session.ts';

describe('safeNext', () => {
  const origin = 'http://127.0.0.1:8080';

  it('keeps paths of this site', () => {
    expect(safeNext('/agents?q=pc-1', origin)).toBe('/agents?q=pc-1');
    expect(safeNext('/executions/01ABC', origin)).toBe('/executions/01ABC');
  });

  it('never leads to another host, however it is spelled', () => {
    for (const next of [
      '//evil.example',
      '/\t/evil.example',
      '/%09/evil.example'.replace('%09', '\t'),
      '/\\evil.example',
      'https://evil.example/x',
      'http://127.0.0.1:8080.evil.example/',
      '\n/agents',
      undefined,
      '',
    ])
      expect(safeNext(next, origin)).toMatch(/^\/(?!\/)/);
    expect(safeNext('//evil.example', origin)).toBe('/');
    expect(safeNext('https://evil.example/x', origin)).toBe('/');
  });
});

describe('form tokens and API tokens', () => {
  it('derive the form token from the API token, the same on every server', () => {
    expect(csrfFor('token-a')).toBe(csrfFor('token-a'));
    expect(csrfFor('token-a')).not.toBe(csrfFor('token-b'));
  });

  it('take only printable ASCII as a token (it travels in a header)', () => {
    expect(isTokenShaped('Ab0-_.~!')).toBe(true);
    expect(isTokenShaped('tok\u200ben')).toBe(false);
    expect(isTokenShaped('two words')).toBe(false);
    expect(isTokenShaped('')).toBe(false);
  });
});

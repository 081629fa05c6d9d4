import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// A copy of the launcher in a tree of its own: a "bundle" and "sources" that say which ran, and how.
const root = mkdtempSync(join(tmpdir(), 'kanade-launcher-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const write = (file: string, text: string) => {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), text);
};
mkdirSync(join(root, 'bin'));
copyFileSync(resolve(import.meta.dirname, '../../bin/kanade.js'), join(root, 'bin/kanade.js'));
const says = (what: string) => `console.log(JSON.stringify({ ran: '${what}', flags: process.execArgv }));\n`;
write('dist/agent/main.js', says('bundle'));
write('src/cli/main.ts', says('sources'));
write('src/input.ts', 'export const x = 1;\n');
const built = () =>
  write(
    'dist/agent/sources.json',
    JSON.stringify({
      inputs: { 'src/input.ts': createHash('sha256').update('export const x = 1;\n').digest('hex') },
    }),
  );
const kanade = (args: string[], env: Record<string, string> = {}) =>
  JSON.parse(
    execFileSync(process.execPath, [join(root, 'bin/kanade.js'), ...args], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { ran: string; flags: string[] };

describe('bin/kanade.js › the agent bundle', () => {
  it('runs `kanade agent` from the bundle, with the small-footprint V8 flags', () => {
    built();
    expect(kanade(['agent'])).toEqual({ ran: 'bundle', flags: ['--max-semi-space-size=1', '--jitless'] });
  });

  it('leaves Node options the operator chose alone, and takes KANADE_AGENT_NODE_FLAGS instead', () => {
    built();
    expect(kanade(['agent'], { NODE_OPTIONS: '--max-old-space-size=100' }).flags).toEqual([]);
    expect(kanade(['agent'], { KANADE_AGENT_NODE_FLAGS: '' }).flags).toEqual([]);
    expect(kanade(['agent'], { KANADE_AGENT_NODE_FLAGS: '--max-semi-space-size=2' }).flags).toEqual([
      '--max-semi-space-size=2',
    ]);
  });

  it('runs the sources when a file the bundle was built from changed, or for any other command', () => {
    built();
    expect(kanade(['server']).ran).toBe('sources');
    expect(kanade(['agent'], { KANADE_AGENT_FROM_SOURCES: '1' }).ran).toBe('sources');
    write('src/input.ts', 'export const x = 2;\n');
    expect(kanade(['agent'])).toEqual({ ran: 'sources', flags: [] });
    rmSync(join(root, 'dist'), { recursive: true });
    expect(kanade(['agent']).ran).toBe('sources');
  });
});

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { readConfig } from './config.ts';
import { runCli } from './run.ts';

// Runs the CLI in-process (no server needed: help, version and suggestions never reach one).
const cli = async (...argv: string[]) => {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (d: Buffer) => {
    chunks.out += d.toString();
  });
  err.on('data', (d: Buffer) => {
    chunks.err += d.toString();
  });
  const code = await runCli(argv, COMMANDS, {
    config: readConfig({}),
    io: { out, err },
    untilInterrupted: () => new Promise(() => {}),
    version: '9.9.9-test',
  });
  return { code, ...chunks };
};

// The verbs that only read: each takes --json.
const READS = ['list', 'get', 'status', 'show', 'validate', 'preview', 'tail'];

describe('the command table', () => {
  const visible = COMMANDS.filter((c) => c.hidden !== true);

  it.each(visible.map((c) => [c.path.join(' '), c]))('kanade %s: described, every flag too', async (name, spec) => {
    expect(spec.summary.trim().length).toBeGreaterThan(10);
    expect(spec.usage.startsWith(`kanade ${name}`)).toBe(true);
    const help = await cli('help', ...spec.path);
    expect(help.code).toBe(0);
    expect(await cli(...spec.path, '--help')).toEqual(help);
    expect(help.out).toContain(spec.summary);
    for (const [flag, f] of Object.entries({ ...spec.options, ...GLOBAL_OPTIONS })) {
      expect(f.description.trim().length, `--${flag} of kanade ${name} has no description`).toBeGreaterThan(3);
      expect(help.out).toContain(`--${flag}`);
      expect(help.out).toContain(f.description);
      if (f.default !== undefined) expect(help.out).toContain(`(default: ${f.default})`);
    }
    if (READS.includes(spec.path.at(-1) ?? '')) expect(Object.keys(spec.options ?? {})).toContain('json');
  });

  it('has no two commands on one path', () => {
    const paths = COMMANDS.map((c) => c.path.join(' '));
    expect(new Set(paths).size).toBe(paths.length);
  });
});

describe('help and suggestions', () => {
  it('lists every command on --help, and prints the version', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const c of COMMANDS.filter((x) => x.hidden !== true)) expect(help.out).toContain(c.usage);
    expect(await cli('--version')).toEqual({ code: 0, out: 'kanade 9.9.9-test\n', err: '' });
  });

  it('suggests the nearest command for a mistyped one (exit 2)', async () => {
    expect(await cli('exce', 'hello', '--all')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^kanade: unknown command: exce hello --all \(did you mean exec\?\)/),
    });
    expect(await cli('job', 'aply', 'jobs/')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown command: job aply jobs\/ \(did you mean job apply\?\)\ncommands of job:/),
    });
    expect((await cli('frobnicate')).err).toMatch(/unknown command: frobnicate\nkanade --help lists every command/);
  });

  it('suggests the nearest flag for a mistyped one (exit 2)', async () => {
    expect(await cli('exec', 'echo', '--grups', 'wave1')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown flag --grups \(did you mean --groups\?\)/),
    });
  });
});

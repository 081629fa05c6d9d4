import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ExecCommand } from '../domain/execs/index.ts';
import { recordedExitStatus, runProcess, wrapperGroupOf } from './processRunner.ts';

const cmd = (script: string, over: Partial<ExecCommand> = {}): ExecCommand => ({
  id: 'job',
  version: '1',
  request_id: 'r',
  exec_id: 'e',
  shell: 'sh',
  script,
  timeout_secs: 30,
  run_as: 'system',
  staleness: { mode: 'cached' },
  ...over,
});

const alive = (pattern: string): boolean => {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().trim() !== '';
  } catch {
    return false;
  }
};

describe('process runner', () => {
  it('records the exit status beside the journal when asked, so it outlives the agent', async () => {
    const exitFile = join(mkdtempSync(join(tmpdir(), 'kanade-exit-')), 'r1.exit');
    const r = await runProcess(cmd('echo "$0" out; exit 9'), new AbortController().signal, undefined, exitFile);
    expect(r).toMatchObject({ exitCode: 9, stdout: 'sh out\n' });
    expect(recordedExitStatus(exitFile)).toBe(9);
    expect(recordedExitStatus(`${exitFile}.none`)).toBeUndefined();
  });

  it('finds the process group of a running wrapper by its exit file, and records nothing when it is killed', async () => {
    const exitFile = join(mkdtempSync(join(tmpdir(), 'kanade-exit-')), 'r2.exit');
    const abort = new AbortController();
    let pid: number | undefined;
    const running = runProcess(
      cmd('sleep 30'),
      abort.signal,
      (p) => {
        pid = p;
      },
      exitFile,
    );
    await sleep(200);
    expect(wrapperGroupOf(exitFile)).toBe(pid);
    abort.abort();
    expect(await running).toMatchObject({ killed: true, exitCode: -1 });
    expect(recordedExitStatus(exitFile)).toBeUndefined();
    expect(wrapperGroupOf(exitFile)).toBeUndefined();
  });

  it('captures stdout, stderr and the exit code', async () => {
    const r = await runProcess(cmd('echo out; echo err >&2; exit 3'), new AbortController().signal);
    expect(r).toEqual({ exitCode: 3, timedOut: false, killed: false, stdout: 'out\n', stderr: 'err\n' });
  });

  it('runs bash in the requested working directory', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'kanade-cwd-')));
    const r = await runProcess(cmd('echo "$PWD" "$0"', { shell: 'bash', cwd: dir }), new AbortController().signal);
    expect(r.stdout).toBe(`${dir} bash\n`);
  });

  it('kills the whole process tree on kill, grandchildren included', async () => {
    const seconds = 600 + Math.floor(Math.random() * 1000); // a sleep nobody else runs, to find it with pgrep
    const abort = new AbortController();
    const running = runProcess(cmd(`sh -c 'sleep ${seconds} & sleep ${seconds}'`), abort.signal);
    await sleep(300);
    expect(alive(`sleep ${seconds}`)).toBe(true);
    abort.abort();
    const r = await running;
    expect(r).toMatchObject({ killed: true, exitCode: -1 });
    expect(r.stderr).toContain('killed by remote signal (kill.e)');
    await sleep(200);
    expect(alive(`sleep ${seconds}`)).toBe(false);
  });

  it('times out, killing the tree, and says so', async () => {
    const started = Date.now();
    const r = await runProcess(cmd('sleep 30 & sleep 30', { timeout_secs: 1 }), new AbortController().signal);
    expect(r).toMatchObject({ timedOut: true, exitCode: -1 });
    expect(r.stderr).toContain('timeout after 1s');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('keeps the first 8 MiB of output and lets the process finish', async () => {
    const r = await runProcess(
      cmd('head -c 9000000 /dev/zero | tr "\\0" x; echo done >&2'),
      new AbortController().signal,
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout.startsWith('x'.repeat(1000))).toBe(true);
    expect(r.stdout).toMatch(/\[kanade: output cut at 8388608 bytes; 611392 more bytes dropped\]\n$/);
    expect(r.stderr).toBe('done\n');
  });

  it('tells the caller the process group id', async () => {
    let pid: number | undefined;
    await runProcess(cmd('true'), new AbortController().signal, (p) => {
      pid = p;
    });
    expect(pid).toBeGreaterThan(0);
  });

  it('reports a process that cannot start', async () => {
    const r = await runProcess(cmd('true', { cwd: '/nonexistent/dir' }), new AbortController().signal);
    expect(r.exitCode).toBe(-1);
    expect(r.stderr).toMatch(/ENOENT|nonexistent/);
  });
});

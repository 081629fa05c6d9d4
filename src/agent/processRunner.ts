import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ExecCommand } from '../domain/execs/index.ts';

/** What a finished process left behind. Output beyond `MAX_CAPTURE_BYTES` per stream is cut, with a note. */
export type ProcessResult = { exitCode: number; timedOut: boolean; killed: boolean; stdout: string; stderr: string };

/**
 * Runs a command's script; `onSpawn` learns the process (group) id. With `exitFile`, the exit status
 * is also written there by a wrapper in the script's process group, so it survives the agent: an
 * agent that dies while a script runs learns after its restart how the script ended. Benchmarks
 * inject another executor.
 */
export type Executor = (
  command: ExecCommand,
  signal: AbortSignal,
  onSpawn?: (pid: number) => void,
  exitFile?: string,
) => Promise<ProcessResult>;

// `sh -c WRAPPER kanade-run <exit file> <program> <args…>`: runs the program, then records its exit
// status atomically (write, then rename) and exits with it. Killed with its process group, it records nothing.
const WRAPPER = 'f="$1"; shift; "$@"; c=$?; printf "%s" "$c" > "$f.tmp" && mv -f "$f.tmp" "$f"; exit "$c"';

/**
 * The process group of the wrapper recording to `exitFile`, found by its command line (Linux): for a
 * script whose group id never reached the journal (the agent died between spawning it and writing it down).
 */
export const wrapperGroupOf = (exitFile: string): number | undefined => {
  if (process.platform !== 'linux') return undefined;
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000');
      if (argv[2] === WRAPPER && argv[4] === exitFile) return Number(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
};

/** Reads an exit status a wrapper recorded, or undefined when there is none (or it is not a number). */
export const recordedExitStatus = (exitFile: string): number | undefined => {
  try {
    const text = readFileSync(exitFile, 'utf8').trim();
    return /^\d{1,3}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
};

/** Output kept per stream; beyond it the output is discarded and the run still completes. */
export const MAX_CAPTURE_BYTES = 8 * 1024 * 1024;
const KILL_GRACE_MS = 3_000;
// setTimeout overflows past 2^31-1 ms (24.8 days) and would fire at once.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Runs the script in its own process group, so a timeout or a kill takes the whole tree down
 * (grandchildren holding the output pipes kept runs "running" forever in the original, #330).
 */
/**
 * Loads the process library (execa, a hundred modules) on the first command rather than at start,
 * so an idle agent does not keep it resident. The handler awaits it before it records a run as
 * started, so a run is never reported running before its process could be spawned.
 */
export const loadRunner = (): Promise<unknown> => import('execa');

export const runProcess: Executor = async (command, signal, onSpawn, exitFile) => {
  const { execa } = await import('execa');
  const launcher = launcherFor(command);
  const { cleanup } = launcher;
  // Windows has no sh to wrap with: there an agent that dies mid-run reports the run lost.
  const wrapped = exitFile !== undefined && process.platform !== 'win32';
  const file = wrapped ? '/bin/sh' : launcher.file;
  const args = wrapped ? ['-c', WRAPPER, 'kanade-run', exitFile, launcher.file, ...launcher.args] : launcher.args;
  const cwd = expandHome(command.cwd);
  const child = execa(file, args, {
    ...(cwd === undefined ? {} : { cwd }),
    detached: process.platform !== 'win32',
    reject: false,
    stdin: 'ignore',
    buffer: false, // captured below with a cap that discards instead of killing the process
    windowsHide: true,
    env: { KANADE_EXEC_ID: command.exec_id, KANADE_JOB_ID: command.id, KANADE_JOB_VERSION: command.version },
  });
  if (child.pid !== undefined) onSpawn?.(child.pid);
  const stdout = capture(child.stdout);
  const stderr = capture(child.stderr);
  let timedOut = false;
  let killed = false;
  const stop = (why: 'timeout' | 'kill') => {
    if (why === 'timeout') timedOut = true;
    else killed = true;
    killProcessGroup(child.pid, 'SIGTERM');
    setTimeout(() => killProcessGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const timer = setTimeout(() => stop('timeout'), Math.min(command.timeout_secs * 1000, MAX_TIMER_MS));
  const onAbort = () => stop('kill');
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    const result = await child;
    // No exit code without a kill or timeout means the process never started (a missing shell, a bad cwd).
    const startFailure = result.exitCode === undefined && !timedOut && !killed ? `${result.shortMessage}\n` : '';
    return {
      exitCode: timedOut || killed ? -1 : (result.exitCode ?? -1),
      timedOut,
      killed,
      stdout: stdout(),
      stderr: stderr() + startFailure + trailer(timedOut, killed, command, signal.reason),
    };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    cleanup();
  }
};

/** Kills a process group (Unix) or tree (Windows); quiet when it is already gone. */
export const killProcessGroup = (pid: number | undefined, sig: NodeJS.Signals): void => {
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32')
      void import('execa').then(({ execa }) => execa('taskkill', ['/pid', String(pid), '/T', '/F'], { reject: false }));
    else process.kill(-pid, sig);
  } catch {
    // the group is already gone
  }
};

// Keeps the first MAX_CAPTURE_BYTES of a stream and drains the rest, so the process never blocks on a full pipe.
const capture = (stream: Readable | null): (() => string) => {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  stream?.on('data', (chunk: Buffer) => {
    const room = MAX_CAPTURE_BYTES - kept;
    if (room > 0) chunks.push(room >= chunk.length ? chunk : chunk.subarray(0, room));
    kept += Math.min(room, chunk.length);
    dropped += Math.max(0, chunk.length - Math.max(room, 0));
  });
  return () => {
    const text = new TextDecoder().decode(Buffer.concat(chunks));
    return dropped > 0
      ? `${text}\n[kanade: output cut at ${MAX_CAPTURE_BYTES} bytes; ${dropped} more bytes dropped]\n`
      : text;
  };
};

// Says why a run was cut short; a kill carries its reason as the abort reason (e.g. a fleet halt).
const trailer = (timedOut: boolean, killed: boolean, command: ExecCommand, reason: unknown): string => {
  if (timedOut) return `\ntimeout after ${command.timeout_secs}s\n`;
  if (!killed) return '';
  return typeof reason === 'string' ? `\nkilled: ${reason}\n` : `\nkilled by remote signal (kill.${command.exec_id})\n`;
};

const expandHome = (cwd: string | undefined): string | undefined =>
  cwd === undefined ? undefined : cwd === '~' ? homedir() : cwd.startsWith('~/') ? join(homedir(), cwd.slice(2)) : cwd;

// PowerShell runs a staged UTF-8 (BOM) script with -File: -Command broke scripts that start with
// [CmdletBinding()] or param() in the original (#230/#231).
const launcherFor = (command: ExecCommand): { file: string; args: string[]; cleanup: () => void } => {
  switch (command.shell) {
    case 'sh':
    case 'bash':
      return { file: command.shell, args: ['-c', command.script], cleanup: () => {} };
    case 'cmd':
      return { file: 'cmd.exe', args: ['/d', '/s', '/c', command.script], cleanup: () => {} };
    case 'pwsh':
    case 'powershell': {
      const dir = mkdtempSync(join(tmpdir(), 'kanade-ps-'));
      const script = join(dir, 'job.ps1');
      writeFileSync(script, `\uFEFF${command.script}`, 'utf8');
      const exe = command.shell === 'pwsh' ? 'pwsh' : 'powershell.exe';
      const policy = process.platform === 'win32' ? ['-ExecutionPolicy', 'Bypass'] : [];
      return {
        file: exe,
        args: ['-NoProfile', '-NonInteractive', ...policy, '-File', script],
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    }
  }
};

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** What a CLI run left: its exit code and both streams. */
export type CliRun = { code: number; out: string; err: string };

/** Runs the real `kanade` CLI in a child process against a server. */
export const runKanade = (args: string[], env: Record<string, string>): Promise<CliRun> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [resolve(ROOT, 'bin/kanade.js'), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...env } },
      (error, out, err) => done({ code: error === null ? 0 : Number(error.code ?? 1), out, err }),
    );
  });

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const freePort = async () => {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
};

/** Resident memory of a process now (VmRSS) and at its highest (VmHWM), in MiB, from /proc. */
export const memoryOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
};

/**
 * With `KANADE_BENCH_PROFILE=dir`, the node flags that write CPU profiles of a bench child into
 * `dir/<what>/` when it exits: one per thread, under Node's own names (a single name given to
 * `--cpu-prof-name` made every thread of a process write the same file, the last one winning).
 */
export const profileFlags = (what: string): string[] => {
  const dir = process.env.KANADE_BENCH_PROFILE;
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(dir, what)}`];
};

/**
 * `kanade server` as operators run it, in a process (and on a core) of its own, against a bench's
 * broker; resolves once it answers /health.
 */
export const startServerProcess = async (o: {
  natsUrl: string;
  serverCreds: string;
  brokerDir: string;
  signingKeyFile: string;
  dataDir: string;
  token: string;
}) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      ...profileFlags('server'),
      resolve(import.meta.dirname, '../bin/kanade.js'),
      'server',
      ...['--nats-url', o.natsUrl, '--nats-creds', o.serverCreds, '--broker-dir', o.brokerDir],
      ...['--signing-key', o.signingKeyFile, '--data-dir', o.dataDir, '--listen', `127.0.0.1:${port}`],
    ],
    { env: { PATH: process.env.PATH, KANADE_TOKEN: o.token, KANADE_LOG_LEVEL: 'error' }, stdio: 'ignore' },
  );
  const up = () =>
    fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
  for (let i = 0; i < 300 && !(await up()); i++) await sleep(100);
  if (!(await up())) throw new Error(`kanade server did not come up on ${url}`);
  return {
    url,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
};

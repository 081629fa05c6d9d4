import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/testing/agentProcess.ts';
import { runKanade } from '../../src/testing/cli.ts';

// `kanade dev` as an operator runs it (npm start): a real nats-server, the server, one agent.
const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const children: ChildProcess[] = [];

const freePort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
};

const pgrep = (pattern: string): string[] => {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

type Sandbox = { child: ChildProcess; dataDir: string; url: string; output(): string; exited: Promise<number | null> };

const startSandbox = (
  port: number,
  dataDir = mkdtempSync(join(tmpdir(), 'kanade-sandbox-')),
  extra: string[] = [],
): Sandbox => {
  dirs.push(dataDir);
  const child = spawn(
    process.execPath,
    [
      resolve(ROOT, 'bin/kanade.js'),
      'dev',
      '--agents',
      '1',
      '--data-dir',
      dataDir,
      '--listen',
      `127.0.0.1:${port}`,
      ...extra,
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let log = '';
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, dataDir, url: `http://127.0.0.1:${port}`, output: () => log, exited };
};

const up = (s: Sandbox) =>
  eventually(async () => s.output().includes('kanade dev sandbox is up'), 30_000, 'the sandbox to start');

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) for (const pid of pgrep(`nats-server.*${d}`)) process.kill(Number(pid), 'SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('kanade dev', () => {
  it('exits non-zero at once when its port is taken, leaving no child behind', async () => {
    const port = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((done) => squatter.listen(port, '127.0.0.1', done));
    try {
      const s = startSandbox(port);
      const code = await s.exited;
      expect(code).not.toBe(0);
      expect(s.output()).toContain(`127.0.0.1:${port} is already in use`);
      expect(s.output()).not.toMatch(/WARN|dispatch failed/);
      expect(pgrep(`nats-server.*${s.dataDir}`)).toEqual([]);
    } finally {
      squatter.close();
    }
  });

  it('notices a killed broker and restarts it; one Ctrl-C then stops everything, the running job reported killed', {
    timeout: 60_000,
  }, async () => {
    const s = startSandbox(await freePort());
    await up(s);
    expect(s.output()).not.toMatch(/ WARN /); // a fresh start is quiet
    const env = { KANADE_API_URL: s.url, KANADE_DATA_DIR: s.dataDir };

    const [broker] = pgrep(`nats-server.*${s.dataDir}`);
    expect(broker).toBeDefined();
    process.kill(Number(broker), 'SIGKILL');
    await eventually(
      async () =>
        s.output().includes('nats-server exited (SIGKILL); restarting it') &&
        s.output().includes('nats-server is back'),
      20_000,
      'the sandbox to restart its broker',
    );
    expect(pgrep(`nats-server.*${s.dataDir}`)).toHaveLength(1);
    await eventually(
      async () => (await fetch(`${s.url}/health`)).ok && /dev-pc-1: reconnected to NATS/.test(s.output()),
      20_000,
      'the server and the agent to be back',
    );
    const marker = `${5000 + Math.floor(Math.random() * 4000)}.5`; // a sleep no other test runs, to find it with pgrep
    const sleeping = () => pgrep(`^sleep ${marker.replace('.', '\\.')}$`);
    let ran: Awaited<ReturnType<typeof runKanade>> | undefined;
    const run = runKanade(['run', 'dev-pc-1', '--timeout', '10m', '--', `sleep ${marker}`], env).then((r) => {
      ran = r;
      return r;
    });
    await eventually(async () => sleeping().length > 0, 30_000, 'the job to run').catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n--- kanade run: ${JSON.stringify(ran)}\n--- sandbox output:\n${s.output()}`);
    });

    s.child.kill('SIGINT');
    await s.exited;
    // A clean stop, not the deadline's forced exit (signals.ts): how long it took is not asserted, a shared
    // machine makes any figure flaky, but the sandbox must not have given up waiting on a part of itself.
    expect(s.output()).not.toMatch(/exiting now, without waiting/);
    expect(s.output()).toMatch(/stopped agent dev-pc-1: 1 running job\(s\) killed and reported as killed/);
    expect(sleeping()).toEqual([]);
    expect(pgrep(`nats-server.*${s.dataDir}`)).toEqual([]);
    expect((await run).code).not.toBe(0);

    // The run is on record as killed once the sandbox is back.
    const again = startSandbox(Number(new URL(s.url).port), s.dataDir);
    try {
      await up(again);
      const listed = await runKanade(['results', 'list', '--json'], env);
      expect((JSON.parse(listed.out) as { results: { job_id: string; outcome: string }[] }).results).toEqual([
        expect.objectContaining({ job_id: 'adhoc-run', outcome: 'killed' }),
      ]);
    } finally {
      again.child.kill('SIGINT');
      await again.exited;
    }
  });

  it('runs a three-server cluster with --cluster 3: R3 streams, a killed server restarted, all stopped on Ctrl-C', {
    timeout: 90_000,
  }, async () => {
    const s = startSandbox(await freePort(), undefined, ['--cluster', '3']);
    await up(s);
    expect(s.output()).toMatch(
      /NATS {4}(nats:\/\/127\.0\.0\.1:\d+,){2}nats:\/\/127\.0\.0\.1:\d+ {3}\(a 3-server cluster/,
    );
    expect(s.output()).toMatch(/created stream stream="KANADE_EVENTS" replicas=3/);
    const servers = pgrep(`nats-server.*${s.dataDir}/nats-cluster`);
    expect(servers).toHaveLength(3);
    const env = { KANADE_API_URL: s.url, KANADE_DATA_DIR: s.dataDir };

    process.kill(Number(servers[0]), 'SIGKILL');
    await eventually(
      async () =>
        /n\d: nats-server exited \(SIGKILL\); restarting it/.test(s.output()) && /is back on/.test(s.output()),
      20_000,
      'the sandbox to restart the killed server',
    );
    // A request during the election may be refused (503); the sandbox goes on.
    const ran = await eventually(
      async () => {
        const r = await runKanade(['run', 'dev-pc-1', '--', 'echo on a cluster'], env);
        return r.code === 0 ? r : false;
      },
      30_000,
      'a command to run on the cluster',
    );
    expect(ran.out).toContain('on a cluster');
    expect(pgrep(`nats-server.*${s.dataDir}/nats-cluster`)).toHaveLength(3);

    s.child.kill('SIGINT');
    await s.exited;
    expect(s.output()).toContain('stopped the server and the 3 nats-servers');
    expect(pgrep(`nats-server.*${s.dataDir}`)).toEqual([]);
  });
});

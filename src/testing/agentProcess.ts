import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsAuth } from '../infra/nats/connection.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** A `kanade agent` child process. */
export type AgentProcess = {
  id: string;
  dataDir: string;
  process: ChildProcess;
  output(): string;
  /** SIGTERM (a graceful stop) and wait for the exit. */
  stop(): Promise<void>;
  /** Starts the same agent again, with the same data dir, and waits until it has started. */
  restart(): Promise<AgentProcess>;
  /** Resolves once the agent logged that it started (its intake is subscribed and caught up). */
  ready(): Promise<void>;
};

/** Where an agent process enrolls: the broker, its bootstrap credential, and an enrollment token. */
export type AgentSandbox = { nats: { url: string; bootstrapAuth: NatsAuth }; enrollToken?: string };

/**
 * Starts a real agent process (the same binary operators run), heartbeating every second. It
 * enrolls with the sandbox's bootstrap credential and token, like an agent on a new machine.
 */
export const startAgentProcess = (o: {
  id: string;
  groups?: string[];
  sandbox: AgentSandbox;
  dataDir: string;
  env?: Record<string, string>;
  /** More `kanade agent` flags. */
  args?: string[];
}): AgentProcess => {
  const args = [
    resolve(ROOT, 'bin/kanade.js'),
    'agent',
    '--id',
    o.id,
    '--nats-url',
    o.sandbox.nats.url,
    '--data-dir',
    o.dataDir,
    '--heartbeat',
    '1s',
  ];
  if (o.sandbox.nats.bootstrapAuth.credsFile !== undefined)
    args.push('--nats-creds', o.sandbox.nats.bootstrapAuth.credsFile);
  if (o.sandbox.enrollToken !== undefined) args.push('--enroll-token', o.sandbox.enrollToken);
  if (o.groups !== undefined && o.groups.length > 0) args.push('--groups', o.groups.join(','));
  args.push(...(o.args ?? []));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, KANADE_LOG_LEVEL: 'info', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    id: o.id,
    dataDir: o.dataDir,
    process: child,
    output: () => log,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          done();
        });
        child.kill('SIGTERM');
      }),
    restart: async () => {
      const next = startAgentProcess(o);
      await next.ready();
      return next;
    },
    ready: async () => {
      await eventually(async () => log.includes('agent started'), 20_000, `agent ${o.id} to start`);
    },
  };
};

/** Retries `check` until it stops throwing (or returns true), up to `timeoutMs`. */
export const eventually = async <T>(
  check: () => Promise<T | false>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> => {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
      last = new Error(`${what} is still false`);
    } catch (error) {
      last = error;
    }
    if (Date.now() > end)
      throw new Error(
        `${what} did not hold within ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`,
      );
    await sleep(100);
  }
};

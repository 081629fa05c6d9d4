import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { eventually } from './agentProcess.ts';
import { type TestBroker, testSigningKey } from './server.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** A `kanade server` child process: the one kind of server a test can kill without a goodbye. */
export type ServerProcess = {
  process: ChildProcess;
  output(): string;
  /** SIGKILL: no lease handed over, nothing flushed — a machine losing power. */
  kill(): Promise<void>;
};

/**
 * Starts `kanade server` (the binary operators run) against a test broker, with the broker
 * directory, the test servers' shared signing key and `replicas`; resolves once its API listens.
 */
export const startServerProcess = async (o: {
  broker: TestBroker;
  dataDir: string;
  replicas?: number;
}): Promise<ServerProcess> => {
  const args = [
    resolve(ROOT, 'bin/kanade.js'),
    'server',
    '--nats-url',
    o.broker.url,
    '--broker-dir',
    o.broker.brokerDir,
    '--signing-key',
    testSigningKey(o.broker),
    '--data-dir',
    o.dataDir,
    '--listen',
    '127.0.0.1:0',
    ...(o.replicas === undefined ? [] : ['--replicas', String(o.replicas)]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, KANADE_LOG_LEVEL: 'info', KANADE_TOKEN: 'test-token-of-a-child-server' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const handle: ServerProcess = {
    process: child,
    output: () => log,
    kill: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGKILL');
      }),
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`kanade server exited with ${child.exitCode}:\n${log}`);
        return log.includes('API listening');
      },
      30_000,
      'the kanade server process to listen',
    );
  } catch (error) {
    await handle.kill();
    throw error;
  }
  return handle;
};

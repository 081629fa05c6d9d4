import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A nats-server child process with JetStream. */
export type NatsServerProcess = {
  url: string;
  port: number;
  storeDir: string;
  process: ChildProcess;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for the exit. */
  stop(): Promise<void>;
};

const WELL_KNOWN = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'];

/** Finds a nats-server binary: an explicit path, then PATH, then the places Debian and friends install it. */
export const findNatsServer = (explicit: string | undefined, path: string | undefined): string | undefined => {
  if (explicit !== undefined && explicit !== '') return isExecutable(explicit) ? explicit : undefined;
  const candidates = [
    ...(path ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((d) => join(d, 'nats-server')),
    ...WELL_KNOWN,
  ];
  return candidates.find(isExecutable);
};

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Options for `startNatsServer`; port -1 lets the server pick a free one. `configFile` (e.g. the
 * operator-mode configuration `kanade broker init` writes) is read first; the flags win over it.
 */
export type StartNatsOptions = {
  bin: string;
  storeDir: string;
  host?: string;
  port?: number;
  timeoutMs?: number;
  configFile?: string;
};

/** Spawns `nats-server -js` and resolves once it accepts clients. */
export const startNatsServer = async (options: StartNatsOptions): Promise<NatsServerProcess> => {
  const { bin, storeDir, host = '127.0.0.1', port = -1, timeoutMs = 15_000 } = options;
  const config = options.configFile === undefined ? [] : ['-c', options.configFile];
  const child = spawn(bin, [...config, '-js', '-a', host, '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const listening = await waitForReady(child, timeoutMs);
  return {
    url: `nats://${host}:${listening}`,
    port: listening,
    storeDir,
    process: child,
    stop: () => stopProcess(child),
  };
};

const waitForReady = (child: ChildProcess, timeoutMs: number): Promise<number> =>
  new Promise((resolve, reject) => {
    let log = '';
    let port: number | undefined;
    const settle = (error: Error | undefined) => {
      clearTimeout(timer);
      child.off('error', onError);
      child.off('exit', onExit);
      child.stderr?.off('data', onData);
      child.stderr?.resume(); // keep draining the pipe so the server never blocks on a full buffer
      if (error === undefined) resolve(port as number);
      else {
        child.kill('SIGKILL');
        reject(error);
      }
    };
    const onError = (error: Error) => settle(error);
    const onExit = (code: number | null) => settle(new Error(`nats-server exited with ${code}:\n${log}`));
    const onData = (chunk: Buffer) => {
      if (log.length < 64_000) log += chunk.toString();
      const listen = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
      if (listen?.[1] !== undefined) port = Number(listen[1]);
      if (port !== undefined && log.includes('Server is ready')) settle(undefined);
    };
    const timer = setTimeout(
      () => settle(new Error(`nats-server did not start within ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    );
    child.on('error', onError);
    child.on('exit', onExit);
    child.stderr?.on('data', onData);
  });

/** A nats-server kept running: restarted (same port, store and configuration) when it dies. */
export type SupervisedNatsServer = {
  readonly url: string;
  /** Settles when it could not be brought back: the sandbox cannot go on. */
  fatal: Promise<Error>;
  stop(): Promise<void>;
};

const RESTARTS_IN_A_ROW = 3;

/**
 * Starts nats-server and watches it: when it exits on its own, `onEvent` says so at once and it is
 * started again on the same port; when that fails three times in a row, `fatal` settles. The child
 * is killed when this process exits, however it exits (a forced exit must not leave it running).
 */
export const superviseNatsServer = async (
  options: StartNatsOptions,
  onEvent: (event: { kind: 'died' | 'restarted' | 'gave-up'; detail: string }) => void,
): Promise<SupervisedNatsServer> => {
  let current = await startNatsServer(options);
  let stopping = false;
  let giveUp: (error: Error) => void = () => {};
  const fatal = new Promise<Error>((resolve) => {
    giveUp = resolve;
  });
  const killOnExit = () => current.process.kill('SIGKILL');
  process.on('exit', killOnExit);
  let restarting: Promise<void> = Promise.resolve(); // stop() waits for a restart under way
  const watch = (server: NatsServerProcess) =>
    server.process.once('exit', (code, signal) => {
      if (stopping) return;
      onEvent({ kind: 'died', detail: `nats-server exited (${signal ?? `code ${code}`}); restarting it` });
      restarting = restart(0);
    });
  const restart = async (failures: number): Promise<void> => {
    if (stopping) return;
    try {
      const started = await startNatsServer({ ...options, port: current.port });
      current = started;
      // Stopped while it came up (a Ctrl-C that reached the whole process group, say): not left behind.
      if (stopping) return void (await started.stop());
      watch(current);
      onEvent({ kind: 'restarted', detail: `nats-server is back on ${current.url}` });
    } catch (error) {
      if (failures + 1 >= RESTARTS_IN_A_ROW) {
        const reason = new Error(`nats-server could not be restarted: ${(error as Error).message.split('\n')[0]}`);
        onEvent({ kind: 'gave-up', detail: reason.message });
        giveUp(reason);
        return;
      }
      await new Promise((r) => setTimeout(r, 500 * (failures + 1)));
      return restart(failures + 1);
    }
  };
  watch(current);
  return {
    get url() {
      return current.url;
    },
    fatal,
    stop: async () => {
      stopping = true;
      await restarting;
      process.off('exit', killOnExit);
      await current.stop();
    },
  };
};

const stopProcess = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });

// How long a clean stop may take before the process gives up waiting and exits anyway.
const STOP_DEADLINE_MS = 10_000;

/**
 * Resolves on the first Ctrl-C or SIGTERM (systemd's stop). A second one exits at once, saying so;
 * and a stop that hangs past the deadline exits too: a long-running command must never ignore its
 * operator.
 */
export const untilInterrupted = (): Promise<void> =>
  new Promise<void>((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.stderr.write(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping (again to exit at once)…\n`);
      process.once('SIGINT', () => now('a second interrupt'));
      process.once('SIGTERM', () => now('a second SIGTERM'));
      setTimeout(() => now(`stopping took longer than ${STOP_DEADLINE_MS / 1000} s`), STOP_DEADLINE_MS).unref();
      resolve();
    };
    process.once('SIGINT', first);
    process.once('SIGTERM', first);
  });

const now = (why: string) => {
  process.stderr.write(`${why}: exiting now, without waiting for the rest to stop\n`);
  process.exit(130);
};

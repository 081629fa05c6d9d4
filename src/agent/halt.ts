import type { KV } from '@nats-io/kv';
import { retryForever } from '../infra/backoff.ts';
import type { Logger } from '../infra/log.ts';
import { HALT_KEY } from '../infra/nats/fleet.ts';
import { parseHalt } from './views.ts';

/**
 * Watches the emergency-stop flag for as long as the agent runs. New commands check the flag anyway
 * (the first gate); this watch is what kills running work when a halt says so, also while the server
 * is down — the flag lives in NATS.
 */
export const followHalt = async (deps: {
  kv: KV;
  onKill: (reason: string) => void;
  log: Logger;
  signal: AbortSignal;
}): Promise<void> => {
  while (!deps.signal.aborted) {
    const watch = await retryForever('watch the fleet halt flag', () => deps.kv.watch({ key: HALT_KEY }), deps.log, {
      signal: deps.signal,
    });
    const stop = () => watch.stop();
    deps.signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const entry of watch) {
        const halt = entry.operation === 'PUT' ? parseHalt(entry.string()) : undefined;
        if (halt !== undefined)
          deps.log.warn('the fleet is halted', { by: halt.by, reason: halt.reason, kill_running: halt.killRunning });
        if (halt?.killRunning === true) deps.onKill(`fleet halted by ${halt.by}: ${halt.reason}`);
      }
    } catch (error) {
      deps.log.warn('halt flag watch ended; reopening', { error });
    } finally {
      deps.signal.removeEventListener('abort', stop);
    }
    if (!deps.signal.aborted) await new Promise((r) => setTimeout(r, 1_000));
  }
};

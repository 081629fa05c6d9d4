import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../infra/log.ts';
import { HALT_KEY, VIEWS } from '../infra/nats/fleet.ts';
import { followKey } from './followKey.ts';
import { haltOf, verifiedView } from './views.ts';

/**
 * Follows the emergency-stop flag for as long as the agent runs. New commands check the flag anyway
 * (the first gate); this is what kills running work when a halt says so, also while the server is
 * down — the flag lives in NATS. Only a flag the server signed can kill running work.
 */
export const followHalt = (deps: {
  nc: NatsConnection;
  kv: KV;
  trusted: () => readonly string[];
  onKill: (reason: string) => void;
  /** Every value of the flag as it arrives, as stored (the gates read it from here and verify it). */
  onStored?: (stored: string | undefined) => void;
  log: Logger;
  signal: AbortSignal;
}): Promise<void> =>
  followKey({
    ...deps,
    bucket: VIEWS.fleet,
    key: HALT_KEY,
    onValue: (value) => {
      deps.onStored?.(value);
      const halt = haltOf(verifiedView(deps.trusted, VIEWS.fleet, HALT_KEY, value));
      if (halt === undefined) return;
      deps.log.warn('the fleet is halted', { by: halt.by, reason: halt.reason, kill_running: halt.killRunning });
      if (halt.killRunning) deps.onKill(`fleet halted by ${halt.by}: ${halt.reason}`);
    },
  });

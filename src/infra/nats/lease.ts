import type { KV } from '@nats-io/kv';
import type { Logger } from '../log.ts';

/** A leadership lease held in a KV key; `isLeader()` is true only while this holder's lease is fresh. */
export type Lease = { isLeader(): boolean; holder: string; stop(): Promise<void> };

type Options = { kv: KV; key: string; holder: string; ttlMs: number; log: Logger; onChange?(leader: boolean): void };

/**
 * Keeps trying to hold `key` in `kv` (NATS 2.9 has no per-key TTL, so expiry is observed, not stored):
 * the holder renews with a compare-and-set on the key's revision every ttl/3; another process takes
 * the key over (also by compare-and-set) once it has seen the same revision for a whole ttl. Clocks of
 * different machines are never compared. A holder that cannot renew stops calling itself leader
 * before anybody else may take over.
 */
export const startLease = (o: Options): Lease => {
  const renewMs = Math.max(Math.floor(o.ttlMs / 3), 100);
  let leaderUntil = 0;
  let seen: { revision: number; since: number } | undefined;
  let wasLeader = false;
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();

  const claim = async (): Promise<boolean> => {
    const entry = await o.kv.get(o.key);
    const value = JSON.stringify({ holder: o.holder });
    if (entry === null || entry.operation !== 'PUT') {
      await o.kv.create(o.key, value);
      return true;
    }
    const holder = (entry.json() as { holder?: string }).holder;
    if (holder === o.holder) {
      await o.kv.update(o.key, value, entry.revision);
      return true;
    }
    const now = performance.now();
    if (seen === undefined || seen.revision !== entry.revision) seen = { revision: entry.revision, since: now };
    if (now - seen.since < o.ttlMs) return false;
    await o.kv.update(o.key, value, entry.revision); // the holder went silent: take over
    return true;
  };

  const round = async () => {
    const started = performance.now();
    let leader = false;
    try {
      leader = await claim();
    } catch (error) {
      // Lost a compare-and-set race, or the broker is away: not leader this round.
      o.log.debug('lease not held', { key: o.key, error });
    }
    // Counted from before the claim, and shorter than the ttl others wait, so two never overlap.
    leaderUntil = leader ? started + o.ttlMs - renewMs : 0;
    if (leader !== wasLeader) {
      wasLeader = leader;
      o.log.info(leader ? 'became leader' : 'no longer leader', { key: o.key, holder: o.holder });
      o.onChange?.(leader);
    }
  };

  const timer = setInterval(() => {
    if (!stopped) busy = busy.then(round);
  }, renewMs);
  busy = round();

  return {
    holder: o.holder,
    isLeader: () => !stopped && performance.now() < leaderUntil,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await busy;
      // Hand over at once: delete the key if we still hold it (compare-and-set on its revision).
      try {
        const entry = await o.kv.get(o.key);
        if (entry?.operation === 'PUT' && (entry.json() as { holder?: string }).holder === o.holder)
          await o.kv.delete(o.key, { previousSeq: entry.revision });
      } catch {
        // the next holder waits for the ttl instead
      }
    },
  };
};

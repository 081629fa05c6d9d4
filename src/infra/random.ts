import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES);
let at = 0;

/**
 * A cryptographically random fraction in [0, 1), drawn from a pool of random bytes refilled 4 KiB at a
 * time. ulid's own generator asks the system for one byte per character (16 calls per id), which
 * showed as 7 % of an agent process's time under a burst of commands.
 */
export const pooledRandom = (): number => {
  if (at + 4 > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    at = 0;
  }
  const value = pool.readUInt32BE(at);
  at += 4;
  return value / 2 ** 32;
};

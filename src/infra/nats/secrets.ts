import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Secrets that must never enter the event stream (it is kept forever and replayed by auditors): the
 * hashes of enrollment tokens, by token id. Only the server's credential can reach this bucket.
 */
export const ENROLLMENT_SECRETS_BUCKET = 'kanade_enrollment_secrets';

/** Opens (or creates) the secrets bucket. */
export const openEnrollmentSecrets = (nc: NatsConnection): Promise<KV> =>
  new Kvm(nc).create(ENROLLMENT_SECRETS_BUCKET, { history: 1 });

const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** A new token for `tokenId`: `<id>.<secret>`, shown once; only the secret's hash is kept. */
export const mintEnrollmentToken = (tokenId: string): { token: string; hash: string } => {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${tokenId}.${secret}`, hash: digest(secret) };
};

/** The id and secret of a token string, or undefined when it is not one. */
export const parseEnrollmentToken = (token: string): { id: string; secret: string } | undefined => {
  const match = /^([0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{43})$/.exec(token.trim());
  return match === null ? undefined : { id: match[1] as string, secret: match[2] as string };
};

/** Stores the hash of a token's secret. */
export const storeEnrollmentSecret = async (kv: KV, tokenId: string, hash: string): Promise<void> => {
  await kv.put(tokenId, hash);
};

/** True when `secret` is the secret of token `tokenId` (constant-time comparison of the hashes). */
export const checkEnrollmentSecret = async (kv: KV, tokenId: string, secret: string): Promise<boolean> => {
  const entry = await kv.get(tokenId);
  if (entry === null || entry.operation !== 'PUT') return false;
  const stored = Buffer.from(entry.string(), 'hex');
  const given = Buffer.from(digest(secret), 'hex');
  return stored.length === given.length && timingSafeEqual(stored, given);
};

import { createHash, randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { encodeId } from '../../domain/shared/index.ts';

/*
 * Credentials of people: password hashes and the hashes of personal API tokens and sessions. They
 * never enter the event stream (kept forever, replayed by auditors); only the server's credential can
 * reach these buckets. Every user name that becomes a key goes through `encodeId`.
 */

/** Password hashes (`password.<user>`) and personal-token hashes (`token.<token id>`). */
export const CREDENTIALS_BUCKET = 'kanade_credentials';
/** Dashboard sessions, by session id; the bucket forgets them after SESSION_TTL_MS. */
export const SESSIONS_BUCKET = 'kanade_sessions';
/** How long a dashboard session lasts. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;

/** The two credential buckets. */
export type CredentialStore = { credentials: KV; sessions: KV };

/** Opens (or creates) the credential buckets. */
export const openCredentialStore = async (nc: NatsConnection, replicas = 1): Promise<CredentialStore> => {
  const kvm = new Kvm(nc);
  return {
    credentials: await kvm.create(CREDENTIALS_BUCKET, { history: 1, replicas }),
    sessions: await kvm.create(SESSIONS_BUCKET, { history: 1, replicas, ttl: SESSION_TTL_MS }),
  };
};

// scrypt, memory-hard: N = 2^15, r = 8 (32 MiB per hash), p = 1.
const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

const scryptOf = (password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) =>
      error === null ? resolve(key) : reject(error),
    ),
  );

/** A password's hash, `scrypt$<log2 N>$<r>$<p>$<salt>$<key>` (base64url). */
export const hashPassword = async (password: string): Promise<string> => {
  const salt = randomBytes(16);
  const key = await scryptOf(password, salt, SCRYPT);
  return [
    'scrypt',
    Math.log2(SCRYPT.N ?? 0),
    SCRYPT.r,
    SCRYPT.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
};

/** True when `password` is the one `stored` was made from (constant-time comparison). */
export const passwordMatches = async (stored: string, password: string): Promise<boolean> => {
  const [scheme, logN, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, 'base64url');
  const options = { N: 2 ** Number(logN), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem };
  const given = await scryptOf(password, Buffer.from(salt, 'base64url'), options);
  return given.length === expected.length && timingSafeEqual(given, expected);
};

const passwordKey = (user: string) => `password.${encodeId(user)}`;
const tokenKey = (tokenId: string) => `token.${tokenId}`;
const sha256 = (secret: string) => createHash('sha256').update(secret).digest();
const sameDigest = (storedHex: string, secret: string) => {
  const stored = Buffer.from(storedHex, 'hex');
  const given = sha256(secret);
  return stored.length === given.length && timingSafeEqual(stored, given);
};

/** Stores a user's password hash. */
export const storePassword = async (store: CredentialStore, user: string, password: string): Promise<void> => {
  await store.credentials.put(passwordKey(user), await hashPassword(password));
};

/**
 * True when `password` is the user's. A user without a password (or unknown) is compared against a
 * throwaway hash all the same, so the answer takes as long either way.
 */
export const checkPassword = async (store: CredentialStore, user: string, password: string): Promise<boolean> => {
  const entry = await store.credentials.get(passwordKey(user));
  const stored = entry === null || entry.operation !== 'PUT' ? undefined : entry.string();
  const matches = await passwordMatches(stored ?? (await decoyHash()), password);
  return stored !== undefined && matches;
};

let decoy: Promise<string> | undefined;
const decoyHash = () => {
  decoy ??= hashPassword(randomBytes(16).toString('base64url'));
  return decoy;
};

/** A random secret of 256 bits, base64url. */
const newSecret = () => randomBytes(32).toString('base64url');

/** What a presented bearer string is: a personal token, a session, or neither. */
export type PresentedCredential =
  | { kind: 'token'; id: string; secret: string }
  | { kind: 'session'; id: string; secret: string }
  | undefined;

/** Parses `kanade_pat_<id>_<secret>` and `kanade_session_<id>_<secret>`. */
export const parseCredential = (presented: string): PresentedCredential => {
  const match = /^kanade_(pat|session)_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/.exec(presented);
  if (match === null) return undefined;
  return { kind: match[1] === 'pat' ? 'token' : 'session', id: match[2] as string, secret: match[3] as string };
};

/** Mints a personal token for `tokenId` and stores its hash; the token itself is shown once. */
export const mintPersonalToken = async (store: CredentialStore, tokenId: string): Promise<string> => {
  const secret = newSecret();
  await store.credentials.put(tokenKey(tokenId), sha256(secret).toString('hex'));
  return `kanade_pat_${tokenId}_${secret}`;
};

/** True when `secret` is the secret of personal token `tokenId`. */
export const checkPersonalToken = async (store: CredentialStore, tokenId: string, secret: string): Promise<boolean> => {
  const entry = await store.credentials.get(tokenKey(tokenId));
  return entry !== null && entry.operation === 'PUT' && sameDigest(entry.string(), secret);
};

/** A dashboard session as stored (its secret only as a hash). */
type StoredSession = { user: string; hash: string; opened_at: string; expires_at: string };

/** Opens a session for `user`; the returned token goes in the browser's httpOnly cookie. */
export const openSession = async (
  store: CredentialStore,
  sessionId: string,
  user: string,
  now: Date,
): Promise<{ token: string; expires_at: string }> => {
  const secret = newSecret();
  const expires_at = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
  const session: StoredSession = {
    user,
    hash: sha256(secret).toString('hex'),
    opened_at: now.toISOString(),
    expires_at,
  };
  await store.sessions.put(sessionId, JSON.stringify(session));
  return { token: `kanade_session_${sessionId}_${secret}`, expires_at };
};

/** The user of a live session and when it was opened, or undefined (unknown, ended, expired, or the wrong secret). */
export const sessionOf = async (
  store: CredentialStore,
  sessionId: string,
  secret: string,
  now: Date,
): Promise<{ user: string; opened_at: string } | undefined> => {
  const entry = await store.sessions.get(sessionId);
  if (entry === null || entry.operation !== 'PUT') return undefined;
  const session = JSON.parse(entry.string()) as StoredSession;
  if (!sameDigest(session.hash, secret) || session.expires_at <= now.toISOString()) return undefined;
  return { user: session.user, opened_at: session.opened_at };
};

/** Ends a session. */
export const closeSession = async (store: CredentialStore, sessionId: string): Promise<void> => {
  await store.sessions.delete(sessionId);
};

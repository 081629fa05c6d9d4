import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KV } from '@nats-io/kv';
import { createServer, fromSeed, type KeyPair } from '@nats-io/nkeys';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Logger } from '../infra/log.ts';
import { TRUST_KEY } from '../infra/nats/fleet.ts';
import { signCommand, signTrust, type TrustDocument, verifyTrust } from '../infra/signing/commandSignature.ts';
import { signView } from '../infra/signing/viewSignature.ts';

/** Signs what the server publishes to agents, and names the keys agents are to trust. */
export type CommandSigner = {
  /** The key commands are signed with. */
  publicKey: string;
  /** The keys agents should trust: the current one, and during a rotation the previous one. */
  trustedKeys(): string[];
  /** Signature headers for one command body on one subject. */
  sign(subject: string, body: string): MsgHdrs;
  /** The key commit ids are turned into message ids with (the same on every server of the fleet). */
  msgIdKey: Uint8Array;
  /** A KV view value, signed for its bucket and key. */
  signView(bucket: string, key: string, value: string): string;
};

const readKey = (file: string): KeyPair => fromSeed(new TextEncoder().encode(readFileSync(file, 'utf8').trim()));

/** The signing key in `file`, made (mode 0600) when the file does not exist yet. */
export const loadOrCreateSigningKey = (file: string): { key: KeyPair; created: boolean } => {
  if (existsSync(file)) return { key: readKey(file), created: false };
  mkdirSync(dirname(file), { recursive: true });
  const key = createServer();
  writeFileSync(file, `${new TextDecoder().decode(key.getSeed())}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true };
};

/** A signer over the current key and, during a rotation, the previous one (still trusted, never used to sign commands). */
export const createCommandSigner = (current: KeyPair, previous?: KeyPair): CommandSigner & { trustSigner: KeyPair } => {
  const keys = [current.getPublicKey(), ...(previous === undefined ? [] : [previous.getPublicKey()])];
  return {
    publicKey: current.getPublicKey(),
    trustedKeys: () => [...keys],
    sign: (subject, body) => signCommand(current, subject, body),
    msgIdKey: createHash('sha256').update('kanade-msgid-v1\n').update(current.getSeed()).digest(),
    signView: (bucket, key, value) => signView(current, bucket, key, value),
    // Agents that trust only the previous key accept a list signed by it.
    trustSigner: previous ?? current,
  };
};

/** Loads the signing keys a server is configured with. */
export const loadCommandSigner = (o: { keyFile: string; previousKeyFile?: string | undefined; log: Logger }) => {
  const { key, created } = loadOrCreateSigningKey(o.keyFile);
  if (created) o.log.info('generated a command-signing key', { file: o.keyFile, public_key: key.getPublicKey() });
  const previous = o.previousKeyFile === undefined ? undefined : readKey(o.previousKeyFile);
  return createCommandSigner(key, previous);
};

// A trust list as stored, when it is one (validly signed by the key it names); anything else — a value
// someone wrote over it — counts as absent and is replaced.
const parseTrust = (stored: string): TrustDocument | undefined => {
  try {
    const d = JSON.parse(stored) as TrustDocument;
    return verifyTrust(new Set([d.signed_by]), d) === undefined ? undefined : d;
  } catch {
    return undefined;
  }
};

/**
 * Publishes the trusted keys to `kanade_fleet/trust`, signed so agents accept it. It does not
 * overwrite a list signed by a key this server cannot vouch for (another server signing with a
 * different key): agents would then refuse one server's commands, so that is reported loudly instead.
 */
export const publishTrust = async (
  fleet: KV,
  signer: ReturnType<typeof createCommandSigner>,
  now: () => Date,
  log: Logger,
): Promise<void> => {
  const wanted = signer.trustedKeys();
  const entry = await fleet.get(TRUST_KEY);
  const existing = entry?.operation === 'PUT' ? parseTrust(entry.string()) : undefined;
  if (existing?.keys !== undefined && existing.keys.join('\n') === wanted.join('\n')) return;
  const vouched =
    existing === undefined ||
    (typeof existing.signed_by === 'string' && wanted.includes(existing.signed_by)) ||
    (existing.keys ?? []).includes(signer.trustSigner.getPublicKey());
  if (!vouched) {
    log.error(
      'agents trust signing keys this server does not hold: another server signs commands with another key. ' +
        'Give every server the same key (KANADE_SIGNING_KEY); to rotate, see docs/architecture.md',
      { trusted: existing?.keys, ours: wanted },
    );
    return;
  }
  await fleet.put(TRUST_KEY, JSON.stringify(signTrust(signer.trustSigner, wanted, now().toISOString())));
  log.info('published the command-signing keys agents trust', { keys: wanted });
};

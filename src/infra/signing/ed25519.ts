import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { fromPublic, type KeyPair } from '@nats-io/nkeys';

// nkeys signs in pure JavaScript (tens of milliseconds per signature on a busy machine); the same
// Ed25519 (RFC 8032) is native in node:crypto, a thousand times faster. Keys stay nkeys (their text
// form is what servers, agents and the broker exchange); only the arithmetic moves.

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CACHE_LIMIT = 1024;

// RFC 4648 base32 without padding, as nkeys writes it.
const base32Decode = (text: string): Uint8Array => {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error('not a base32 nkey');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
};

const privateKeys = new WeakMap<KeyPair, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

// A seed is two prefix bytes, the 32-byte Ed25519 seed and a CRC.
const privateKeyOf = (pair: KeyPair): KeyObject => {
  let key = privateKeys.get(pair);
  if (key === undefined) {
    const raw = base32Decode(new TextDecoder().decode(pair.getSeed())).subarray(2, 34);
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, raw]), format: 'der', type: 'pkcs8' });
    privateKeys.set(pair, key);
  }
  return key;
};

// A public nkey is one prefix byte, the 32-byte Ed25519 key and a CRC (fromPublic checks them).
const publicKeyOf = (nkey: string): KeyObject => {
  let key = publicKeys.get(nkey);
  if (key === undefined) {
    fromPublic(nkey);
    const raw = base32Decode(nkey).subarray(1, 33);
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
    if (publicKeys.size >= CACHE_LIMIT) publicKeys.clear();
    publicKeys.set(nkey, key);
  }
  return key;
};

const publicNkeys = new WeakMap<KeyPair, string>();

/** The public nkey of a pair (nkeys derives it from the seed on every call: a scalar multiplication). */
export const publicNkeyOf = (pair: KeyPair): string => {
  let key = publicNkeys.get(pair);
  if (key === undefined) {
    key = pair.getPublicKey();
    publicNkeys.set(pair, key);
  }
  return key;
};

/** The Ed25519 signature of `data` with an nkey pair (the same bytes `pair.sign` gives). */
export const ed25519Sign = (pair: KeyPair, data: Uint8Array): Uint8Array => sign(null, data, privateKeyOf(pair));

// Signatures found valid, by a SHA-256 of key, signature and data: a process that checks the same
// signed bytes again (an agent reading the same view value for every command, the many agents of one
// process receiving one broadcast command) hashes them (~1 µs) instead of verifying (~60 µs, more
// under load). Only valid signatures are kept, so a forgery is checked in full every time.
const VERIFIED_LIMIT = 4096;
const verified = new Set<string>();

const verificationKey = (publicKey: string, data: Uint8Array, signature: Uint8Array): string =>
  // Lengths first, so no other split of the same bytes into key, signature and data hashes alike.
  createHash('sha256')
    .update(`${publicKey.length}:${publicKey}:${signature.length}:`)
    .update(signature)
    .update(data)
    .digest('base64');

/** Whether `signature` is the Ed25519 signature of `data` by the public nkey `publicKey`. */
export const ed25519Verify = (publicKey: string, data: Uint8Array, signature: Uint8Array): boolean => {
  const memo = verificationKey(publicKey, data, signature);
  if (verified.has(memo)) return true;
  try {
    const valid = verify(null, data, publicKeyOf(publicKey), signature);
    if (valid) {
      if (verified.size >= VERIFIED_LIMIT) verified.clear();
      verified.add(memo);
    }
    return valid;
  } catch {
    return false;
  }
};

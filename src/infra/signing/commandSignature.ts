import type { KeyPair } from '@nats-io/nkeys';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { ed25519Sign, ed25519Verify, publicNkeyOf } from './ed25519.ts';

/** Header with the base64url Ed25519 signature of a command. */
export const SIGNATURE_HEADER = 'Kanade-Sig';
/** Header naming the public key (an nkey) that signed it. */
export const SIGNING_KEY_HEADER = 'Kanade-Sig-Key';
/** Header naming the algorithm (only `ed25519`). */
export const SIGNATURE_ALG_HEADER = 'Kanade-Sig-Alg';

const utf8 = new TextEncoder();

// What is signed: a domain tag, the subject the command is addressed to, and the exact body bytes —
// so a command cannot be altered, nor moved to another subject (another PC, group or job), unnoticed.
const signedBytes = (subject: string, body: Uint8Array): Uint8Array => {
  const head = utf8.encode(`kanade-command-v1\n${subject}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
};

const asBytes = (body: string | Uint8Array): Uint8Array => (typeof body === 'string' ? utf8.encode(body) : body);

/** Signs a command body for the subject it is published on; the signature travels in headers. */
export const signCommand = (signer: KeyPair, subject: string, body: string | Uint8Array): MsgHdrs => {
  const h = headers();
  h.set(SIGNATURE_HEADER, Buffer.from(ed25519Sign(signer, signedBytes(subject, asBytes(body)))).toString('base64url'));
  h.set(SIGNING_KEY_HEADER, publicNkeyOf(signer));
  h.set(SIGNATURE_ALG_HEADER, 'ed25519');
  return h;
};

/** The verdict on a command's signature. */
export type SignatureCheck = { ok: true; key: string } | { ok: false; reason: string };

/**
 * Checks that a command was signed, by a key this agent trusts, for exactly this subject and body.
 * The reason names what failed, for the result an operator will read.
 */
export const verifyCommand = (
  trusted: ReadonlySet<string>,
  subject: string,
  body: string | Uint8Array,
  h: MsgHdrs | undefined,
): SignatureCheck => {
  const signature = h?.get(SIGNATURE_HEADER) ?? '';
  const key = h?.get(SIGNING_KEY_HEADER) ?? '';
  if (signature === '' || key === '') return { ok: false, reason: 'the command is not signed' };
  if ((h?.get(SIGNATURE_ALG_HEADER) ?? 'ed25519') !== 'ed25519')
    return { ok: false, reason: `the command is signed with an unknown algorithm` };
  if (!trusted.has(key))
    return { ok: false, reason: `the command is signed by a key this agent does not trust (${key})` };
  try {
    const valid = ed25519Verify(key, signedBytes(subject, asBytes(body)), Buffer.from(signature, 'base64url'));
    return valid
      ? { ok: true, key }
      : {
          ok: false,
          reason: `the signature does not match the command as received on ${subject} (altered, or addressed elsewhere)`,
        };
  } catch (error) {
    return { ok: false, reason: `the signature cannot be read: ${(error as Error).message}` };
  }
};

/** The command-signing keys agents trust, as published in `kanade_fleet/trust`. */
export type TrustDocument = { keys: string[]; at: string; signed_by: string; signature: string };

const trustBytes = (keys: readonly string[], at: string) => utf8.encode(`kanade-trust-v1\n${keys.join('\n')}\n${at}`);

/** Signs the list of keys agents should trust (with a key they trust already, during a rotation the old one). */
export const signTrust = (signer: KeyPair, keys: readonly string[], at: string): TrustDocument => ({
  keys: [...keys],
  at,
  signed_by: publicNkeyOf(signer),
  signature: Buffer.from(ed25519Sign(signer, trustBytes(keys, at))).toString('base64url'),
});

/** The keys of a trust document, when a key in `trusted` signed it; undefined otherwise. */
export const verifyTrust = (trusted: ReadonlySet<string>, document: unknown): string[] | undefined => {
  const d = document as Partial<TrustDocument> | null;
  if (d === null || typeof d !== 'object' || !Array.isArray(d.keys) || typeof d.at !== 'string') return undefined;
  if (typeof d.signed_by !== 'string' || typeof d.signature !== 'string' || !trusted.has(d.signed_by)) return undefined;
  const keys = d.keys.filter((k): k is string => typeof k === 'string');
  if (keys.length === 0 || keys.length !== d.keys.length) return undefined;
  try {
    return ed25519Verify(d.signed_by, trustBytes(keys, d.at), Buffer.from(d.signature, 'base64url')) ? keys : undefined;
  } catch {
    return undefined;
  }
};

import type { KeyPair } from '@nats-io/nkeys';
import { ed25519Sign, ed25519Verify, publicNkeyOf } from './ed25519.ts';

const utf8 = new TextEncoder();
const signedBytes = (bucket: string, key: string, value: string) =>
  utf8.encode(`kanade-view-v1\n${bucket}\n${key}\n${value}`);

/**
 * A KV view value as the server stores it: the value, signed for its bucket and key. A publisher into
 * any stream can aim JetStream's acknowledgement at a KV subject (NATS does not check reply subjects
 * against permissions), so agents believe only values the server signed.
 */
export const signView = (signer: KeyPair, bucket: string, key: string, value: string): string =>
  JSON.stringify({
    v: value,
    by: publicNkeyOf(signer),
    sig: Buffer.from(ed25519Sign(signer, signedBytes(bucket, key, value))).toString('base64url'),
  });

/** The value of a stored view, when a trusted key signed it for this bucket and key. */
export const openView = (
  trusted: ReadonlySet<string>,
  bucket: string,
  key: string,
  stored: string,
): { ok: true; value: string } | { ok: false } => {
  try {
    const d = JSON.parse(stored) as { v?: unknown; by?: unknown; sig?: unknown };
    if (typeof d.v !== 'string' || typeof d.by !== 'string' || typeof d.sig !== 'string' || !trusted.has(d.by))
      return { ok: false };
    return ed25519Verify(d.by, signedBytes(bucket, key, d.v), Buffer.from(d.sig, 'base64url'))
      ? { ok: true, value: d.v }
      : { ok: false };
  } catch {
    return { ok: false };
  }
};

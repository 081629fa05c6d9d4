import { createAccount, createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { ed25519Sign, ed25519Verify } from './ed25519.ts';

const data = new TextEncoder().encode('kanade-command-v1\nkanade.cmd.all.job\n{"x":1}');

describe('Ed25519 over nkeys, natively', () => {
  it('signs exactly as nkeys does, and each verifies the other', () => {
    for (const pair of [createUser(), createAccount()]) {
      const native = ed25519Sign(pair, data);
      expect(Buffer.from(native)).toEqual(Buffer.from(pair.sign(data)));
      expect(pair.verify(data, native)).toBe(true);
      expect(ed25519Verify(pair.getPublicKey(), data, pair.sign(data))).toBe(true);
    }
  });

  it('refuses another key, altered data, a bad signature and a key that is not an nkey', () => {
    const pair = createUser();
    const signature = ed25519Sign(pair, data);
    expect(ed25519Verify(createUser().getPublicKey(), data, signature)).toBe(false);
    expect(ed25519Verify(pair.getPublicKey(), new TextEncoder().encode('other'), signature)).toBe(false);
    expect(ed25519Verify(pair.getPublicKey(), data, signature.subarray(1))).toBe(false);
    expect(ed25519Verify('UNOTAKEY', data, signature)).toBe(false);
    const key = pair.getPublicKey();
    expect(ed25519Verify(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`, data, signature)).toBe(false);
  });

  it('still refuses altered data, a moved byte or another key once the genuine signature was checked', () => {
    const pair = createUser();
    const signature = ed25519Sign(pair, data);
    expect(ed25519Verify(pair.getPublicKey(), data, signature)).toBe(true);
    expect(ed25519Verify(pair.getPublicKey(), data, signature)).toBe(true);
    expect(ed25519Verify(pair.getPublicKey(), data.subarray(1), signature)).toBe(false);
    // the same bytes split differently between signature and data
    const longer = Buffer.concat([signature, data.subarray(0, 1)]);
    expect(ed25519Verify(pair.getPublicKey(), data.subarray(1), longer)).toBe(false);
    expect(ed25519Verify(createUser().getPublicKey(), data, signature)).toBe(false);
  });
});

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MsgHdrs } from '@nats-io/transport-node';
import { type SignatureCheck, verifyCommand, verifyTrust } from '../infra/signing/commandSignature.ts';
import { writeFileDurably } from './fsyncFile.ts';

/**
 * The command-signing keys this agent trusts: pinned at approval, kept in `trust.json`, and replaced
 * only by a trust document signed with a key already trusted (a rotation: old and new both trusted
 * until the server drops the old one).
 */
export const openTrust = (dataDir: string) => {
  const file = join(dataDir, 'trust.json');
  const stored = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { keys?: string[]; broker_credential?: boolean; at?: string })
    : {};
  let keys = new Set<string>(stored.keys ?? []);
  let brokerCredential = stored.broker_credential === true;
  // The time of the trust list applied last: an older one (replayed by someone who can write the key)
  // never rolls the keys back.
  let at = stored.at ?? '';
  const save = (next: readonly string[]) => {
    keys = new Set(next);
    const content = { keys: [...keys], broker_credential: brokerCredential, at };
    mkdirSync(dataDir, { recursive: true });
    writeFileDurably(file, `${JSON.stringify(content, null, 2)}\n`);
  };
  return {
    /** True once the agent has keys to check commands with (it was approved). */
    pinned: (): boolean => keys.size > 0,
    /** True when the approval came with a broker credential of the agent's own (JWT auth). */
    expectsCredential: (): boolean => brokerCredential,
    keys: (): string[] => [...keys],
    /** Pins the keys an approval named (the first trust, or a re-enrollment). */
    pin: (next: readonly string[], withCredential: boolean): void => {
      brokerCredential = withCredential;
      save(next);
    },
    /** Applies a published trust document; false when no trusted key signed it. */
    update: (document: unknown): boolean => {
      const next = verifyTrust(keys, document);
      if (next === undefined) return false;
      const documentAt = (document as { at: string }).at;
      if (documentAt < at) return false;
      at = documentAt;
      if (next.join('\n') !== [...keys].join('\n')) save(next);
      return true;
    },
    /** Checks a command's signature for the subject it arrived on. */
    verify: (subject: string, body: Uint8Array, h: MsgHdrs | undefined): SignatureCheck =>
      verifyCommand(keys, subject, body, h),
  };
};

/** An agent's trusted keys. */
export type Trust = ReturnType<typeof openTrust>;

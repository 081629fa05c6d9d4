import { fromPublic, type KeyPair } from '@nats-io/nkeys';
import * as v from 'valibot';

/**
 * What an agent sends to `kanade.enroll`: who it is, its public key, and the enrollment token it was
 * installed with. The request is signed with the key it names, so nobody can ask (or poll) for a key
 * they do not hold. Approved agents send the same request for a fresh credential.
 */
export type EnrollmentRequest = {
  pc_id: string;
  hostname: string;
  os: string;
  arch: string;
  agent_version: string;
  groups: string[];
  public_key: string;
  token?: string;
  at: string;
};

/** The server's answer. `jwt` (with broker authorization) is the agent's user JWT; its seed never travels. */
export type EnrollmentReply = {
  status: 'pending' | 'approved' | 'rejected' | 'terminated' | 'refused';
  reason?: string;
  jwt?: string;
  /** The command-signing keys to trust (pinned by the agent at approval). */
  trusted_keys?: string[];
};

const short = (max: number) => v.pipe(v.string(), v.maxLength(max));
const requestSchema = v.object({
  pc_id: short(512),
  hostname: short(512),
  os: short(64),
  arch: short(64),
  agent_version: short(64),
  groups: v.pipe(v.array(short(64)), v.maxLength(64)),
  public_key: v.pipe(v.string(), v.regex(/^U[A-Z2-7]{55}$/, 'must be an nkey user public key')),
  token: v.optional(short(256)),
  at: short(64),
});
const wireSchema = v.object({ request: v.pipe(v.string(), v.maxLength(16_384)), signature: short(256) });

/** Serializes a request, signed with the agent's key. */
export const signEnrollmentRequest = (key: KeyPair, request: EnrollmentRequest): string => {
  const body = JSON.stringify(request);
  const signature = Buffer.from(key.sign(new TextEncoder().encode(body))).toString('base64url');
  return JSON.stringify({ request: body, signature });
};

/** Reads and checks a request: well formed, and signed by the key it names. */
export const openEnrollmentRequest = (
  payload: string,
): { ok: true; request: EnrollmentRequest } | { ok: false; reason: string } => {
  let wire: v.InferOutput<typeof wireSchema>;
  let request: EnrollmentRequest;
  try {
    wire = v.parse(wireSchema, JSON.parse(payload));
    request = v.parse(requestSchema, JSON.parse(wire.request)) as EnrollmentRequest;
  } catch {
    return { ok: false, reason: 'the enrollment request is malformed' };
  }
  try {
    const signed = fromPublic(request.public_key).verify(
      new TextEncoder().encode(wire.request),
      Buffer.from(wire.signature, 'base64url'),
    );
    return signed ? { ok: true, request } : { ok: false, reason: 'the request is not signed by the key it names' };
  } catch {
    return { ok: false, reason: 'the request is not signed by the key it names' };
  }
};

import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyPair } from '@nats-io/nkeys';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../infra/log.ts';
import { type EnrollmentReply, type EnrollmentRequest, signEnrollmentRequest } from '../infra/nats/enrollment.ts';
import { ENROLL_SUBJECT } from '../infra/nats/subjects.ts';

const REQUEST_TIMEOUT_MS = 10_000;
// While pending, ask every few seconds at first (an operator approving sees the agent start at once),
// then back off; after a rejection, ask rarely (the answer will not change for this key).
const PENDING_POLL_MS = [2_000, 3_000, 5_000, 10_000, 30_000] as const;
const REJECTED_POLL_MS = 3_600_000;

/** Who the agent says it is when it asks to enroll. */
export type EnrollmentIdentity = Omit<EnrollmentRequest, 'public_key' | 'at' | 'token'> & { token?: string };

/** Asks the server once; throws when nobody answers (no server, or the broker refused the request). */
export const askToEnroll = async (
  nc: NatsConnection,
  key: KeyPair,
  identity: EnrollmentIdentity,
  now: () => number,
): Promise<EnrollmentReply> => {
  const request: EnrollmentRequest = { ...identity, public_key: key.getPublicKey(), at: new Date(now()).toISOString() };
  const reply = await nc.request(ENROLL_SUBJECT, signEnrollmentRequest(key, request), { timeout: REQUEST_TIMEOUT_MS });
  return reply.json<EnrollmentReply>();
};

/**
 * Asks to enroll until approved, saying plainly where it stands: pending (the operator must approve
 * `kanade agents approve <pc>`), rejected or terminated (it backs off and gets nothing), refused (a
 * bad enrollment token: that is the installer's to fix). Resolves with the approval.
 */
export const enrollUntilApproved = async (deps: {
  nc: NatsConnection;
  key: KeyPair;
  identity: EnrollmentIdentity;
  log: Logger;
  signal: AbortSignal;
  now?: () => number;
  /** Called when the server says the agent was terminated (it may throw to give up). */
  onTerminated?: (reason: string) => void;
}): Promise<EnrollmentReply & { status: 'approved' }> => {
  const { log, signal } = deps;
  let last: string | undefined;
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    let reply: EnrollmentReply;
    try {
      reply = await askToEnroll(deps.nc, deps.key, deps.identity, deps.now ?? Date.now);
    } catch (error) {
      if (last !== 'unanswered') log.warn('no answer to the enrollment request yet (is the server up?)', { error });
      last = 'unanswered';
      await sleep(PENDING_POLL_MS[Math.min(attempt, PENDING_POLL_MS.length - 1)], undefined, { signal });
      continue;
    }
    if (reply.status === 'approved') return reply as EnrollmentReply & { status: 'approved' };
    if (reply.status === 'terminated') deps.onTerminated?.(reply.reason ?? 'terminated');
    if (reply.status !== last) {
      const fields = { pc_id: deps.identity.pc_id, key: deps.key.getPublicKey(), reason: reply.reason };
      if (reply.status === 'pending')
        log.warn(`waiting for an operator to approve this agent: kanade agents approve ${deps.identity.pc_id}`, fields);
      else log.error(`enrollment ${reply.status}; this agent gets no work`, fields);
    }
    last = reply.status;
    const wait =
      reply.status === 'pending'
        ? PENDING_POLL_MS[Math.min(attempt, PENDING_POLL_MS.length - 1)]
        : Math.min(REJECTED_POLL_MS, 30_000 * 2 ** Math.min(attempt, 7));
    await sleep(wait, undefined, { signal });
  }
};

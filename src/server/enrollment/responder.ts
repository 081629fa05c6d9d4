import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { answerEnrollment, type EnrollDeps } from '../../app/enrollment/enroll.ts';
import type { Logger } from '../../infra/log.ts';
import { openEnrollmentRequest } from '../../infra/nats/enrollment.ts';
import { agentInboxPrefix, ENROLL_INBOX_PREFIX, ENROLL_SUBJECT } from '../../infra/nats/subjects.ts';

// Requests answered at once, and waiting beyond those; past that, requests are answered "busy" without
// any work (the bootstrap credential is shared, so a flood of requests must not exhaust the server).
const IN_FLIGHT = 16;
const MAX_WAITING = 1_000;

/**
 * May this request be answered on its reply subject? A requester chooses the subject, so the answer
 * goes only to an enrollment inbox, or to the inbox of the agent the request names: never to a KV
 * key, a command subject or the JetStream API.
 */
export const answerableOn = (reply: string | undefined, pcId: string | undefined): boolean => {
  if (reply === undefined || reply === '' || /[\s*>]/.test(reply)) return false;
  if (reply.startsWith(`${ENROLL_INBOX_PREFIX}.`)) return true;
  return pcId !== undefined && reply.startsWith(`${agentInboxPrefix(pcId)}.`);
};

/**
 * Answers `kanade.enroll`: agents asking to enroll, polling for approval, or (approved) renewing their
 * credential. Every server answers in one queue group. `nc` should be a connection whose credential
 * may publish only into the inboxes (the broker then enforces what `answerableOn` checks).
 */
export const startEnrollmentResponder = (deps: EnrollDeps & { nc: NatsConnection; log: Logger }) => {
  let inFlight = 0;
  const waiting: Msg[] = [];
  const respond = (m: Msg, pcId: string | undefined, body: object) => {
    if (answerableOn(m.reply, pcId)) m.respond(JSON.stringify(body));
    else deps.log.warn('dropped an enrollment request with a reply subject it may not be answered on', { pc_id: pcId });
  };
  const answer = async (m: Msg) => {
    const opened = openEnrollmentRequest(m.string());
    if (!opened.ok) return respond(m, undefined, { status: 'refused', reason: opened.reason });
    const { pc_id } = opened.request;
    if (!answerableOn(m.reply, pc_id)) return respond(m, pc_id, {});
    try {
      const reply = await answerEnrollment(deps, opened.request);
      if (reply.status !== 'approved')
        deps.log.info('enrollment request', { pc_id, status: reply.status, reason: reply.reason });
      respond(m, pc_id, reply);
    } catch (error) {
      deps.log.warn('could not answer an enrollment request', { pc_id, error });
      respond(m, pc_id, { status: 'pending', reason: 'the server could not decide yet; ask again' });
    }
  };
  const next = () => {
    const m = waiting.shift();
    if (m === undefined) return;
    inFlight++;
    void answer(m).finally(() => {
      inFlight--;
      next();
    });
  };
  const sub = deps.nc.subscribe(ENROLL_SUBJECT, {
    queue: 'kanade-enroll',
    callback: (error, m) => {
      if (error !== null) return;
      if (waiting.length >= MAX_WAITING) {
        if (answerableOn(m.reply, undefined))
          m.respond(JSON.stringify({ status: 'pending', reason: 'busy; ask again' }));
        return;
      }
      waiting.push(m);
      if (inFlight < IN_FLIGHT) next();
    },
  });
  return {
    stop: async () => {
      sub.unsubscribe();
      waiting.length = 0;
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
    },
  };
};

import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { answerEnrollment, type EnrollDeps } from '../../app/enrollment/enroll.ts';
import type { Logger } from '../../infra/log.ts';
import { openEnrollmentRequest } from '../../infra/nats/enrollment.ts';
import { ENROLL_SUBJECT } from '../../infra/nats/subjects.ts';

// Requests answered at once; more wait in the subscription (bootstrap credentials are shared, so a
// flood of requests must not starve the server).
const IN_FLIGHT = 16;

/**
 * Answers `kanade.enroll`: agents asking to enroll, polling for approval, or (approved) asking for a
 * credential that covers new groups. Every server answers in one queue group.
 */
export const startEnrollmentResponder = (deps: EnrollDeps & { nc: NatsConnection; log: Logger }) => {
  const sub = deps.nc.subscribe(ENROLL_SUBJECT, { queue: 'kanade-enroll' });
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const answer = async (m: Msg) => {
    const opened = openEnrollmentRequest(m.string());
    if (!opened.ok) {
      m.respond(JSON.stringify({ status: 'refused', reason: opened.reason }));
      return;
    }
    try {
      const reply = await answerEnrollment(deps, opened.request);
      if (reply.status !== 'approved')
        deps.log.info('enrollment request', {
          pc_id: opened.request.pc_id,
          status: reply.status,
          reason: reply.reason,
        });
      m.respond(JSON.stringify(reply));
    } catch (error) {
      deps.log.warn('could not answer an enrollment request', { pc_id: opened.request.pc_id, error });
      m.respond(JSON.stringify({ status: 'pending', reason: 'the server could not decide yet; ask again' }));
    }
  };
  const running = (async () => {
    for await (const m of sub) {
      if (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight++;
      void answer(m).finally(() => {
        inFlight--;
        waiting.shift()?.();
      });
    }
  })();
  return {
    stop: async () => {
      sub.unsubscribe();
      await running;
    },
  };
};

import { agentDecider, agentStreamName } from '../domain/agents/index.ts';
import { retryForever } from '../infra/backoff.ts';
import { commandHandlerFor, type JetStreamEventStore } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import type { AgentFacts } from './heartbeat.ts';

const handleAgent = commandHandlerFor(agentDecider);

/** Records the agent's enrollment (once: later starts append nothing), retrying until the broker takes it. */
export const enroll = (deps: {
  store: JetStreamEventStore;
  facts: AgentFacts;
  groups: readonly string[];
  now: () => number;
  log: Logger;
  signal: AbortSignal;
}): Promise<unknown> => {
  const { facts } = deps;
  return retryForever(
    'record enrollment',
    async () => {
      const handled = await handleAgent(
        deps.store,
        agentStreamName(facts.pc_id),
        { type: 'EnrollAgent', data: { ...facts, groups: [...deps.groups] } },
        {
          id: `enroll:${facts.pc_id}`,
          actor: `agent:${facts.pc_id}`,
          at: new Date(deps.now()).toISOString(),
          via: 'agent',
        },
      );
      if (handled.events.length > 0) deps.log.info('enrolled', { pc_id: facts.pc_id, seq: handled.seq });
    },
    deps.log,
    { signal: deps.signal },
  );
};

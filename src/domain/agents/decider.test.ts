import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { AgentNotFound, agentDecider } from './decider.ts';
import type { AgentEvent } from './events.ts';

const given = DeciderSpecification.for(agentDecider);
const facts = { pc_id: 'pc1', hostname: 'pc1', os: 'linux', arch: 'x64', agent_version: '0.1.0' };
const enrolled: AgentEvent = { type: 'AgentEnrolled', data: { ...facts, groups: ['a', 'b'] } };

describe('agent decider', () => {
  it('enrolls an agent once, with sorted unique groups', () => {
    given([])
      .when({ type: 'EnrollAgent', data: { ...facts, groups: ['b', 'a', 'b'] } })
      .then([enrolled]);
    given([enrolled])
      .when({ type: 'EnrollAgent', data: { ...facts, groups: ['z'] } })
      .thenNothingHappened();
  });

  it('sets groups, remembering the previous ones', () =>
    given([enrolled])
      .when({ type: 'SetAgentGroups', data: { pc_id: 'pc1', groups: ['c'] } })
      .then([{ type: 'AgentGroupsSet', data: { pc_id: 'pc1', groups: ['c'], previous: ['a', 'b'] } }]));

  it('does nothing when the groups are the same set', () =>
    given([enrolled])
      .when({ type: 'SetAgentGroups', data: { pc_id: 'pc1', groups: ['b', 'a'] } })
      .thenNothingHappened());

  it('refuses groups for an agent that never enrolled', () =>
    given([])
      .when({ type: 'SetAgentGroups', data: { pc_id: 'x', groups: [] } })
      .thenThrows((e) => e instanceof AgentNotFound));
});

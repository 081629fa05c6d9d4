export type { AgentCommand, AgentState, EnrollAgent, SetAgentGroups } from './decider.ts';
export { AgentNotFound, agentDecider } from './decider.ts';
export type { AgentEnrolled, AgentEvent, AgentGroupsSet } from './events.ts';
export { agentStreamName } from './events.ts';

import type { DomainEvent } from '../shared/messages.ts';

/** An agent started for the first time and introduced itself. Appended by the agent. */
export type AgentEnrolled = DomainEvent<
  'AgentEnrolled',
  { pc_id: string; hostname: string; os: string; arch: string; agent_version: string; groups: string[] }
>;

/** An operator set the groups an agent belongs to (replacing the previous set). */
export type AgentGroupsSet = DomainEvent<'AgentGroupsSet', { pc_id: string; groups: string[]; previous: string[] }>;

/** Every event of the agent aggregate. */
export type AgentEvent = AgentEnrolled | AgentGroupsSet;

/** The event-store stream of one agent. */
export const agentStreamName = (pcId: string): string => `agent-${pcId}`;

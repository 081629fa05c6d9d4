import { DomainError } from '../shared/errors.ts';
import { normalizeGroups } from '../shared/groups.ts';
import type { DomainCommand } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { AgentEvent } from './events.ts';

/** Record an agent's first start (a no-op once enrolled). */
export type EnrollAgent = DomainCommand<
  'EnrollAgent',
  { pc_id: string; hostname: string; os: string; arch: string; agent_version: string; groups: string[] }
>;
/** Replace an agent's groups. */
export type SetAgentGroups = DomainCommand<'SetAgentGroups', { pc_id: string; groups: string[] }>;
/** Every command of the agent aggregate. */
export type AgentCommand = EnrollAgent | SetAgentGroups;

/** What the fleet knows about one pc id. */
export type AgentState = { enrolled: false } | { enrolled: true; groups: readonly string[] };

/** The pc id has never enrolled. */
export class AgentNotFound extends DomainError {
  readonly code = 'agent-not-found';
  constructor(pcId: string) {
    super(`no agent ${pcId} has enrolled`);
    this.name = 'AgentNotFound';
  }
}

const initialState = (): AgentState => ({ enrolled: false });

const evolve = (_state: AgentState, event: AgentEvent): AgentState => {
  switch (event.type) {
    case 'AgentEnrolled':
      return { enrolled: true, groups: event.data.groups };
    case 'AgentGroupsSet':
      return { enrolled: true, groups: event.data.groups };
    default:
      return unreachable(event);
  }
};

const decide = (command: AgentCommand, state: AgentState): AgentEvent[] => {
  switch (command.type) {
    case 'EnrollAgent':
      return state.enrolled
        ? []
        : [{ type: 'AgentEnrolled', data: { ...command.data, groups: normalizeGroups(command.data.groups) } }];
    case 'SetAgentGroups': {
      if (!state.enrolled) throw new AgentNotFound(command.data.pc_id);
      const groups = normalizeGroups(command.data.groups);
      if (groups.join('\u0000') === state.groups.join('\u0000')) return [];
      return [{ type: 'AgentGroupsSet', data: { pc_id: command.data.pc_id, groups, previous: [...state.groups] } }];
    }
    default:
      return unreachable(command);
  }
};

/** The agent decider (Emmett's Decider shape). */
export const agentDecider = { decide, evolve, initialState };

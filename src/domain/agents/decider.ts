import { DomainError } from '../shared/errors.ts';
import { normalizeGroups } from '../shared/groups.ts';
import type { DomainCommand } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { AgentEvent, AgentFacts } from './events.ts';

/**
 * An agent asks to enroll with a key of its own (through the enrollment responder, token checked).
 * With `auto_approve` (an auto-approve token) a pc id never seen before is approved in the same
 * commit, with the groups it asked for that the token allows.
 */
export type RequestEnrollment = DomainCommand<
  'RequestEnrollment',
  AgentFacts & {
    groups: string[];
    public_key: string;
    token_id: string;
    token_name: string;
    auto_approve?: { groups: string[] };
  }
>;
/** Approve the pending key (with the groups to give the agent, or those it asked for / already had). */
export type ApproveAgent = DomainCommand<
  'ApproveAgent',
  { pc_id: string; public_key?: string; groups?: string[]; auto_approved?: boolean }
>;
/** Reject the pending key (refused when `public_key` names another key than the one waiting). */
export type RejectAgent = DomainCommand<'RejectAgent', { pc_id: string; public_key?: string; reason?: string }>;
/** Decommission an agent: its key is revoked and it leaves every target. */
export type TerminateAgent = DomainCommand<'TerminateAgent', { pc_id: string; reason?: string }>;
/** Replace an agent's groups. */
export type SetAgentGroups = DomainCommand<'SetAgentGroups', { pc_id: string; groups: string[] }>;
/** Every command of the agent aggregate. */
export type AgentCommand = RequestEnrollment | ApproveAgent | RejectAgent | TerminateAgent | SetAgentGroups;

/** Where an agent stands: the enrollment status the API shows. */
export type EnrollmentStatus = 'unknown' | 'pending' | 'approved' | 'rejected' | 'terminated';

/** What the fleet knows about one pc id. */
export type AgentState = {
  status: EnrollmentStatus;
  /** The approved key (null for an agent that enrolled itself before keys existed); undefined when none. */
  key: string | null | undefined;
  /** A request waiting for an operator, possibly to replace the approved key. */
  pending: { key: string; groups: string[] } | undefined;
  groups: string[];
  /** True once an operator (or an approval) decided the groups; a request's groups are then ignored. */
  groupsDecided: boolean;
  /** Keys rejected or revoked: never accepted again for this pc id. */
  refusedKeys: string[];
};

/** The pc id has never enrolled. */
export class AgentNotFound extends DomainError {
  readonly code = 'agent-not-found';
  constructor(pcId: string) {
    super(`no agent ${pcId} has enrolled`);
    this.name = 'AgentNotFound';
  }
}

/** Approve or reject with nothing waiting. */
export class NothingPending extends DomainError {
  readonly code = 'agent-not-pending';
  constructor(pcId: string) {
    super(`agent ${pcId} has no enrollment request waiting`);
    this.name = 'NothingPending';
  }
}

/** An approval named a key other than the one waiting (the request changed under the operator). */
export class PendingKeyChanged extends DomainError {
  readonly code = 'agent-not-pending';
  constructor(pcId: string) {
    super(`agent ${pcId} asked again with another key; look at the request again before approving`);
    this.name = 'PendingKeyChanged';
  }
}

/** The agent was terminated: nothing may change it but a new enrollment. */
export class AgentIsTerminated extends DomainError {
  readonly code = 'agent-terminated';
  constructor(pcId: string) {
    super(`agent ${pcId} was terminated`);
    this.name = 'AgentIsTerminated';
  }
}

/** A request with a new key while another key waits for a decision. */
export class EnrollmentBusy extends DomainError {
  readonly code = 'enrollment-busy';
  constructor(pcId: string) {
    super(`another enrollment request for ${pcId} waits for an operator; it must be approved or rejected first`);
    this.name = 'EnrollmentBusy';
  }
}

/** A request with a key that was rejected or revoked for this pc id. */
export class EnrollmentRefused extends DomainError {
  readonly code = 'enrollment-refused';
  constructor(pcId: string, why: 'rejected' | 'terminated') {
    super(`agent ${pcId}: this key was ${why === 'rejected' ? 'rejected' : 'revoked when the agent was terminated'}`);
    this.name = 'EnrollmentRefused';
  }
}

const initialState = (): AgentState => ({
  status: 'unknown',
  key: undefined,
  pending: undefined,
  groups: [],
  groupsDecided: false,
  refusedKeys: [],
});

const refuse = (state: AgentState, ...keys: (string | null | undefined)[]) => [
  ...state.refusedKeys,
  ...keys.filter((k): k is string => typeof k === 'string' && !state.refusedKeys.includes(k)),
];

const evolve = (state: AgentState, event: AgentEvent): AgentState => {
  switch (event.type) {
    case 'AgentEnrolled':
      return { ...state, status: 'approved', key: null, groups: event.data.groups, groupsDecided: true };
    case 'AgentEnrollmentRequested':
      return {
        ...state,
        status: state.status === 'approved' ? 'approved' : 'pending',
        pending: { key: event.data.public_key, groups: event.data.groups },
      };
    case 'AgentApproved':
      return {
        ...state,
        status: 'approved',
        key: event.data.public_key,
        pending: undefined,
        groups: event.data.groups,
        groupsDecided: true,
        refusedKeys: refuse(state, event.data.replaced_key),
      };
    case 'AgentRejected':
      return {
        ...state,
        status: state.status === 'approved' ? 'approved' : 'rejected',
        pending: undefined,
        refusedKeys: refuse(state, event.data.public_key),
      };
    case 'AgentTerminated':
      return {
        ...state,
        status: 'terminated',
        key: undefined,
        pending: undefined,
        refusedKeys: refuse(state, event.data.public_key, state.pending?.key),
      };
    case 'AgentGroupsSet':
      return { ...state, groups: event.data.groups, groupsDecided: true };
    default:
      return unreachable(event);
  }
};

const decide = (command: AgentCommand, state: AgentState): AgentEvent[] => {
  switch (command.type) {
    case 'RequestEnrollment':
      return requestEnrollment(command, state);
    case 'ApproveAgent':
      return approve(command, state);
    case 'RejectAgent': {
      if (state.pending === undefined) throw new NothingPending(command.data.pc_id);
      const { pc_id, reason } = command.data;
      if (command.data.public_key !== undefined && command.data.public_key !== state.pending.key)
        throw new PendingKeyChanged(pc_id);
      return [
        {
          type: 'AgentRejected',
          data: { pc_id, public_key: state.pending.key, ...(reason === undefined ? {} : { reason }) },
        },
      ];
    }
    case 'TerminateAgent': {
      const { pc_id, reason } = command.data;
      if (state.status === 'unknown') throw new AgentNotFound(pc_id);
      if (state.status === 'terminated' && state.pending === undefined) return [];
      const key = state.key ?? undefined;
      return [
        {
          type: 'AgentTerminated',
          data: {
            pc_id,
            ...(key === undefined ? {} : { public_key: key }),
            ...(reason === undefined ? {} : { reason }),
          },
        },
      ];
    }
    case 'SetAgentGroups': {
      const { pc_id } = command.data;
      if (state.status === 'unknown') throw new AgentNotFound(pc_id);
      if (state.status === 'terminated') throw new AgentIsTerminated(pc_id);
      const groups = normalizeGroups(command.data.groups);
      if (state.groupsDecided && groups.join('\u0000') === state.groups.join('\u0000')) return [];
      return [{ type: 'AgentGroupsSet', data: { pc_id, groups, previous: [...state.groups] } }];
    }
    default:
      return unreachable(command);
  }
};

// Asking again with the key already approved or waiting changes nothing: agents ask until answered.
// One request waits at a time: a second key for the same pc id cannot push the first one aside.
const requestEnrollment = (command: RequestEnrollment, state: AgentState): AgentEvent[] => {
  const { auto_approve, ...data } = command.data;
  const { public_key, pc_id } = data;
  if (state.refusedKeys.includes(public_key))
    throw new EnrollmentRefused(pc_id, state.status === 'terminated' ? 'terminated' : 'rejected');
  if (state.key === public_key || state.pending?.key === public_key) return [];
  if (state.pending !== undefined) throw new EnrollmentBusy(pc_id);
  const groups = normalizeGroups(data.groups);
  const requested: AgentEvent = { type: 'AgentEnrollmentRequested', data: { ...data, groups } };
  // Auto-approval is decided on the state the append is checked against: two first requests racing
  // for a new pc id cannot both be approved (the second finds the first one's key).
  if (auto_approve === undefined || state.status !== 'unknown') return [requested];
  const allowed = new Set(auto_approve.groups);
  return [
    requested,
    {
      type: 'AgentApproved',
      data: { pc_id, public_key, groups: groups.filter((g) => allowed.has(g)), auto_approved: true },
    },
  ];
};

const approve = (command: ApproveAgent, state: AgentState): AgentEvent[] => {
  const { pc_id } = command.data;
  if (state.pending === undefined) throw new NothingPending(pc_id);
  if (command.data.public_key !== undefined && command.data.public_key !== state.pending.key)
    throw new PendingKeyChanged(pc_id);
  const groups = command.data.groups ?? (state.groupsDecided ? state.groups : state.pending.groups);
  return [
    {
      type: 'AgentApproved',
      data: {
        pc_id,
        public_key: state.pending.key,
        groups: normalizeGroups(groups),
        ...(typeof state.key === 'string' ? { replaced_key: state.key } : {}),
        auto_approved: command.data.auto_approved === true,
      },
    },
  ];
};

/** The agent decider (Emmett's Decider shape). */
export const agentDecider = { decide, evolve, initialState };

export type {
  AgentCommand,
  AgentState,
  ApproveAgent,
  EnrollmentStatus,
  RejectAgent,
  RequestEnrollment,
  SetAgentGroups,
  TerminateAgent,
} from './decider.ts';
export {
  AgentIsTerminated,
  AgentNotFound,
  agentDecider,
  EnrollmentBusy,
  EnrollmentRefused,
  NothingPending,
  PendingKeyChanged,
} from './decider.ts';
export type {
  AgentApproved,
  AgentEnrolled,
  AgentEnrollmentRequested,
  AgentEvent,
  AgentFacts,
  AgentGroupsSet,
  AgentRejected,
  AgentTerminated,
} from './events.ts';
export { AGENT_EVENT_TYPES, agentStreamName } from './events.ts';

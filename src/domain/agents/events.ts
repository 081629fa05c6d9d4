import type { DomainEvent } from '../shared/messages.ts';

/** What an agent says about its machine when it asks to enroll. */
export type AgentFacts = { pc_id: string; hostname: string; os: string; arch: string; agent_version: string };

/**
 * An agent enrolled itself on its first start. Kept for the history recorded before enrollment needed
 * approval (such agents count as approved, with no key of their own); nothing appends it any more.
 */
export type AgentEnrolled = DomainEvent<'AgentEnrolled', AgentFacts & { groups: string[] }>;

/**
 * An agent asked to enroll with a key pair of its own (a new pc id, or a known one with a new key),
 * presenting an enrollment token. Appended by the server's enrollment responder; it waits for approval.
 */
export type AgentEnrollmentRequested = DomainEvent<
  'AgentEnrollmentRequested',
  AgentFacts & { groups: string[]; public_key: string; token_id: string; token_name: string }
>;

/** The pending key of an agent was approved: it gets a broker credential bound to that key. */
export type AgentApproved = DomainEvent<
  'AgentApproved',
  { pc_id: string; public_key: string; groups: string[]; replaced_key?: string; auto_approved: boolean }
>;

/** The pending key of an agent was rejected: it gets nothing. */
export type AgentRejected = DomainEvent<'AgentRejected', { pc_id: string; public_key: string; reason?: string }>;

/** An agent was decommissioned: its key is revoked at the broker and it leaves every target. */
export type AgentTerminated = DomainEvent<'AgentTerminated', { pc_id: string; public_key?: string; reason?: string }>;

/** An operator set the groups an agent belongs to (replacing the previous set). */
export type AgentGroupsSet = DomainEvent<'AgentGroupsSet', { pc_id: string; groups: string[]; previous: string[] }>;

/** Every event of the agent aggregate. */
export type AgentEvent =
  | AgentEnrolled
  | AgentEnrollmentRequested
  | AgentApproved
  | AgentRejected
  | AgentTerminated
  | AgentGroupsSet;

/** The event types of the agent aggregate (what may be recorded under `kanade.ev.agent.<pc>`). */
export const AGENT_EVENT_TYPES: readonly AgentEvent['type'][] = [
  'AgentEnrolled',
  'AgentEnrollmentRequested',
  'AgentApproved',
  'AgentRejected',
  'AgentTerminated',
  'AgentGroupsSet',
];

/** The event-store stream of one agent. */
export const agentStreamName = (pcId: string): string => `agent-${pcId}`;

import { DomainError } from '../shared/errors.ts';
import type { DomainCommand, DomainEvent } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';

/**
 * An enrollment token was created: agents installed with it may ask to enroll (and, with
 * `auto_approve`, new pc ids are approved at once — for imaging pipelines). The secret is never an
 * event: only its holder and the server's secret store know it.
 */
export type EnrollmentTokenCreated = DomainEvent<
  'EnrollmentTokenCreated',
  { token_id: string; name: string; auto_approve: boolean; expires_at: string | null; groups?: string[] }
>;
/** An enrollment token was revoked: requests presenting it are refused from now on. */
export type EnrollmentTokenRevoked = DomainEvent<'EnrollmentTokenRevoked', { token_id: string }>;
/** Every event of an enrollment token. */
export type EnrollmentTokenEvent = EnrollmentTokenCreated | EnrollmentTokenRevoked;
/** The event types of an enrollment token (what may be recorded under `kanade.ev.enrollment_token.<id>`). */
export const ENROLLMENT_TOKEN_EVENT_TYPES: readonly EnrollmentTokenEvent['type'][] = [
  'EnrollmentTokenCreated',
  'EnrollmentTokenRevoked',
];

/** Create a token (the id and expiry come from the edge). */
export type CreateEnrollmentToken = DomainCommand<'CreateEnrollmentToken', EnrollmentTokenCreated['data']>;
/** Revoke a token. */
export type RevokeEnrollmentToken = DomainCommand<'RevokeEnrollmentToken', { token_id: string }>;
/** Every command of an enrollment token. */
export type EnrollmentTokenCommand = CreateEnrollmentToken | RevokeEnrollmentToken;

/** One token as its events leave it. */
export type EnrollmentTokenState =
  | { exists: false }
  | {
      exists: true;
      name: string;
      auto_approve: boolean;
      expires_at: string | null;
      /** The groups an auto-approved agent may get (of those it asks for); none when absent. */
      groups: string[];
      revoked: boolean;
    };

/** No such token. */
export class EnrollmentTokenNotFound extends DomainError {
  readonly code = 'enrollment-token-not-found';
  constructor(id: string) {
    super(`no enrollment token ${id}`);
    this.name = 'EnrollmentTokenNotFound';
  }
}

/** The event-store stream of one token. */
export const enrollmentTokenStreamName = (tokenId: string): string => `enrollment_token-${tokenId}`;

const initialState = (): EnrollmentTokenState => ({ exists: false });

const evolve = (state: EnrollmentTokenState, event: EnrollmentTokenEvent): EnrollmentTokenState => {
  switch (event.type) {
    case 'EnrollmentTokenCreated':
      return { exists: true, ...event.data, groups: event.data.groups ?? [], revoked: false };
    case 'EnrollmentTokenRevoked':
      return state.exists ? { ...state, revoked: true } : state;
    default:
      return unreachable(event);
  }
};

const decide = (command: EnrollmentTokenCommand, state: EnrollmentTokenState): EnrollmentTokenEvent[] => {
  switch (command.type) {
    case 'CreateEnrollmentToken':
      return state.exists ? [] : [{ type: 'EnrollmentTokenCreated', data: command.data }];
    case 'RevokeEnrollmentToken':
      if (!state.exists) throw new EnrollmentTokenNotFound(command.data.token_id);
      return state.revoked ? [] : [{ type: 'EnrollmentTokenRevoked', data: command.data }];
    default:
      return unreachable(command);
  }
};

/** The enrollment-token decider. */
export const enrollmentTokenDecider = { decide, evolve, initialState };

/** Why a token cannot be used at `now`, or undefined when it can. */
export const tokenUnusable = (state: EnrollmentTokenState, now: string): string | undefined => {
  if (!state.exists) return 'unknown enrollment token';
  if (state.revoked) return `enrollment token ${state.name} was revoked`;
  if (state.expires_at !== null && state.expires_at <= now) return `enrollment token ${state.name} expired`;
  return undefined;
};

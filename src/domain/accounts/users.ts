import { DomainError } from '../shared/errors.ts';
import type { DomainCommand, DomainEvent } from '../shared/messages.ts';
import { unreachable } from '../shared/unreachable.ts';
import { type Role, roleAtLeast } from './roles.ts';

/*
 * A user account: a name, a role, a disabled flag, and the personal API tokens the user holds. No
 * password, hash or token secret is ever in these events (the stream is kept forever and replayed by
 * auditors): the credential store keeps those, and the events record only that they changed.
 */

/** A user was added. */
export type UserAdded = DomainEvent<'UserAdded', { user: string; role: Role }>;
/** A user's role changed. */
export type UserRoleChanged = DomainEvent<'UserRoleChanged', { user: string; role: Role; previous: Role }>;
/** A user was disabled: every request of theirs (sessions and tokens) is refused from now on. */
export type UserDisabled = DomainEvent<'UserDisabled', { user: string; reason?: string }>;
/** A disabled user may sign in again. */
export type UserEnabled = DomainEvent<'UserEnabled', { user: string }>;
/** The user's password was set (only that: the hash lives in the credential store). */
export type UserPasswordSet = DomainEvent<'UserPasswordSet', { user: string }>;
/** A personal API token was created (its secret was shown once and only its hash is kept). */
export type ApiTokenCreated = DomainEvent<
  'ApiTokenCreated',
  { user: string; token_id: string; name: string; role: Role; expires_at: string | null }
>;
/** A personal API token was revoked. */
export type ApiTokenRevoked = DomainEvent<'ApiTokenRevoked', { user: string; token_id: string }>;

/** Every event of a user account. */
export type UserEvent =
  | UserAdded
  | UserRoleChanged
  | UserDisabled
  | UserEnabled
  | UserPasswordSet
  | ApiTokenCreated
  | ApiTokenRevoked;

/** The event types of a user account (what may be recorded under `kanade.ev.user.<name>`). */
export const USER_EVENT_TYPES: readonly UserEvent['type'][] = [
  'UserAdded',
  'UserRoleChanged',
  'UserDisabled',
  'UserEnabled',
  'UserPasswordSet',
  'ApiTokenCreated',
  'ApiTokenRevoked',
];

/** Add a user. */
export type AddUser = DomainCommand<'AddUser', { user: string; role: Role }>;
/** Change a user's role. */
export type SetUserRole = DomainCommand<'SetUserRole', { user: string; role: Role }>;
/** Disable a user. */
export type DisableUser = DomainCommand<'DisableUser', { user: string; reason?: string }>;
/** Enable a disabled user. */
export type EnableUser = DomainCommand<'EnableUser', { user: string }>;
/** Record that the user's password was set (the hash is already in the credential store). */
export type RecordPasswordSet = DomainCommand<'RecordPasswordSet', { user: string }>;
/** Create a personal token (its id and expiry come from the edge; its hash is already stored). */
export type CreateApiToken = DomainCommand<'CreateApiToken', ApiTokenCreated['data']>;
/** Revoke a personal token. */
export type RevokeApiToken = DomainCommand<'RevokeApiToken', { user: string; token_id: string }>;
/** Every command of a user account. */
export type UserCommand =
  | AddUser
  | SetUserRole
  | DisableUser
  | EnableUser
  | RecordPasswordSet
  | CreateApiToken
  | RevokeApiToken;

/** One personal token as its events leave it. */
export type ApiTokenState = { name: string; role: Role; expires_at: string | null; revoked: boolean };

/** A user account as its events leave it. */
export type UserState =
  | { exists: false }
  | { exists: true; role: Role; disabled: boolean; tokens: Readonly<Record<string, ApiTokenState>> };

/** No such user. */
export class UserNotFound extends DomainError {
  readonly code = 'user-not-found';
  constructor(user: string) {
    super(`no user ${user}`);
    this.name = 'UserNotFound';
  }
}

/**
 * A user of that name exists already, with another role (adding the same user with the same role
 * again is a no-op) or when a password came with the request (it would otherwise be dropped).
 */
export class UserExists extends DomainError {
  readonly code = 'user-exists';
  constructor(user: string, role: Role, hint = 'use set-role to change it') {
    super(`user ${user} exists already, with role ${role} (${hint})`);
    this.name = 'UserExists';
  }
}

/** No such token of this user. */
export class ApiTokenNotFound extends DomainError {
  readonly code = 'api-token-not-found';
  constructor(tokenId: string) {
    super(`no API token ${tokenId}`);
    this.name = 'ApiTokenNotFound';
  }
}

/** A token may not do more than its owner may. */
export class RoleAboveOwner extends DomainError {
  readonly code = 'role-above-owner';
  constructor(user: string, owner: Role, asked: Role) {
    super(`a token of ${user} can have role ${owner} at most (${user} is ${owner}); ${asked} was asked for`, [
      { path: 'role', message: `must be ${owner} or lower` },
    ]);
    this.name = 'RoleAboveOwner';
  }
}

/** The event-store stream of one user. */
export const userStreamName = (user: string): string => `user-${user}`;

const initialState = (): UserState => ({ exists: false });

const evolve = (state: UserState, event: UserEvent): UserState => {
  if (event.type === 'UserAdded') return { exists: true, role: event.data.role, disabled: false, tokens: {} };
  if (!state.exists) return state;
  switch (event.type) {
    case 'UserRoleChanged':
      return { ...state, role: event.data.role };
    case 'UserDisabled':
      return { ...state, disabled: true };
    case 'UserEnabled':
      return { ...state, disabled: false };
    case 'UserPasswordSet':
      return state;
    case 'ApiTokenCreated': {
      const { token_id, name, role, expires_at } = event.data;
      return { ...state, tokens: { ...state.tokens, [token_id]: { name, role, expires_at, revoked: false } } };
    }
    case 'ApiTokenRevoked': {
      const token = state.tokens[event.data.token_id];
      return token === undefined
        ? state
        : { ...state, tokens: { ...state.tokens, [event.data.token_id]: { ...token, revoked: true } } };
    }
    default:
      return unreachable(event);
  }
};

const existing = (user: string, state: UserState): Extract<UserState, { exists: true }> => {
  if (!state.exists) throw new UserNotFound(user);
  return state;
};

const decide = (command: UserCommand, state: UserState): UserEvent[] => {
  const { user } = command.data;
  switch (command.type) {
    case 'AddUser':
      if (!state.exists) return [{ type: 'UserAdded', data: command.data }];
      if (state.role !== command.data.role) throw new UserExists(user, state.role);
      return [];
    case 'SetUserRole': {
      const s = existing(user, state);
      return s.role === command.data.role
        ? []
        : [{ type: 'UserRoleChanged', data: { user, role: command.data.role, previous: s.role } }];
    }
    case 'DisableUser':
      return existing(user, state).disabled ? [] : [{ type: 'UserDisabled', data: command.data }];
    case 'EnableUser':
      return existing(user, state).disabled ? [{ type: 'UserEnabled', data: command.data }] : [];
    case 'RecordPasswordSet':
      existing(user, state);
      return [{ type: 'UserPasswordSet', data: command.data }];
    case 'CreateApiToken': {
      const s = existing(user, state);
      if (s.tokens[command.data.token_id] !== undefined) return [];
      if (!roleAtLeast(s.role, command.data.role)) throw new RoleAboveOwner(user, s.role, command.data.role);
      return [{ type: 'ApiTokenCreated', data: command.data }];
    }
    case 'RevokeApiToken': {
      const token = existing(user, state).tokens[command.data.token_id];
      if (token === undefined) throw new ApiTokenNotFound(command.data.token_id);
      return token.revoked ? [] : [{ type: 'ApiTokenRevoked', data: command.data }];
    }
    default:
      return unreachable(command);
  }
};

/** The user-account decider. */
export const userDecider = { decide, evolve, initialState };

import { randomBytes } from 'node:crypto';
import {
  type Role,
  type UserCommand,
  UserExists,
  UserNotFound,
  userDecider,
  userStreamName,
} from '../../domain/accounts/index.ts';
import { type CredentialStore, mintPersonalToken, storePassword } from '../../infra/accounts/credentials.ts';
import { type CommitContext, commandHandlerFor, type JetStreamEventStore } from '../../infra/eventStore/index.ts';
import type { ReadModelsService } from '../../projections/index.ts';
import { ReadModelsBehind } from '../readModels.ts';

const handleUser = commandHandlerFor(userDecider);
// A change to who may do what is answered only once this server's read models show it, so the very
// next request (checked against them) is judged by it.
const VISIBLE_WAIT_MS = 10_000;

/** What managing accounts needs. */
export type AccountDeps = {
  store: JetStreamEventStore;
  readModels: ReadModelsService;
  credentials: CredentialStore;
  newId: () => string;
  now: () => Date;
};

/** What a change answers: whether it changed anything, and the sequence it was recorded at. */
export type AccountChange = { user: string; status: 'created' | 'changed' | 'unchanged'; seq: number };

const record = async (deps: AccountDeps, command: UserCommand, commit: CommitContext, done: 'created' | 'changed') => {
  const handled = await handleUser(deps.store, userStreamName(command.data.user), command, commit);
  if (handled.events.length > 0 && !(await deps.readModels.waitFor(handled.seq, VISIBLE_WAIT_MS)))
    throw new ReadModelsBehind(handled.seq, deps.readModels.position());
  return {
    user: command.data.user,
    status: handled.events.length > 0 ? done : 'unchanged',
    seq: handled.seq,
  } satisfies AccountChange;
};

/** A password nobody chose: 24 random characters, shown once. */
export const generatePassword = (): string => randomBytes(18).toString('base64url');

/**
 * Adds a user (the same user with the same role again changes nothing). The password, given or
 * generated, goes to the credential store before the events: only that it was set is recorded.
 */
export const addUser = async (
  deps: AccountDeps,
  request: { user: string; role: Role; password?: string | undefined },
  commit: CommitContext,
): Promise<AccountChange & { password?: string }> => {
  const added = await record(
    deps,
    { type: 'AddUser', data: { user: request.user, role: request.role } },
    commit,
    'created',
  );
  if (added.status === 'unchanged' && request.password !== undefined)
    throw new UserExists(request.user, request.role, 'adding it again does not change its password: use passwd');
  if (added.status === 'unchanged') return added;
  const password = request.password ?? generatePassword();
  const set = await setPassword(deps, request.user, password, { ...commit, id: `${commit.id}:password` });
  return { ...added, seq: set.seq, ...(request.password === undefined ? { password } : {}) };
};

/** Sets a user's password (their sessions opened before end). */
export const setPassword = async (
  deps: AccountDeps,
  user: string,
  password: string,
  commit: CommitContext,
): Promise<AccountChange> => {
  // No hash is stored for somebody who does not exist.
  const { state } = await deps.store.aggregateStream(userStreamName(user), userDecider);
  if (!state.exists) throw new UserNotFound(user);
  await storePassword(deps.credentials, user, password);
  return record(deps, { type: 'RecordPasswordSet', data: { user } }, commit, 'changed');
};

/** Changes a user's role (their tokens never exceed it: each request takes the lower of the two). */
export const setUserRole = (deps: AccountDeps, user: string, role: Role, commit: CommitContext) =>
  record(deps, { type: 'SetUserRole', data: { user, role } }, commit, 'changed');

/** Disables a user: their sessions and tokens are refused from the next request on. */
export const disableUser = (deps: AccountDeps, user: string, reason: string | undefined, commit: CommitContext) =>
  record(deps, { type: 'DisableUser', data: { user, ...(reason === undefined ? {} : { reason }) } }, commit, 'changed');

/** Enables a disabled user (sessions from before stay over; tokens work again). */
export const enableUser = (deps: AccountDeps, user: string, commit: CommitContext) =>
  record(deps, { type: 'EnableUser', data: { user } }, commit, 'changed');

/** A personal token as created: the secret is in `token`, shown once. */
export type CreatedApiToken = {
  token_id: string;
  user: string;
  name: string;
  role: Role;
  expires_at: string | null;
  token: string;
  seq: number;
};

/**
 * Creates a personal token of `user`, no higher than the user's role (the decider refuses more). The
 * hash goes to the credential store first: a token is never recorded that could not be checked.
 */
export const createApiToken = async (
  deps: AccountDeps,
  request: { user: string; name: string; role: Role; expiresAt: string | null },
  commit: CommitContext,
): Promise<CreatedApiToken> => {
  const token_id = deps.newId();
  const token = await mintPersonalToken(deps.credentials, token_id);
  const data = { user: request.user, token_id, name: request.name, role: request.role, expires_at: request.expiresAt };
  const created = await record(deps, { type: 'CreateApiToken', data }, commit, 'created');
  return { ...data, token, seq: created.seq };
};

/** Revokes a personal token: it is refused from the next request on. */
export const revokeApiToken = (deps: AccountDeps, user: string, tokenId: string, commit: CommitContext) =>
  record(deps, { type: 'RevokeApiToken', data: { user, token_id: tokenId } }, commit, 'changed');

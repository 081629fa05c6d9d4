import type { Kysely } from 'kysely';
import type { Role } from '../../domain/accounts/index.ts';
import type { ReadModels } from '../schema.ts';

/** A user as listed (never a password or its hash). */
export type UserView = {
  user: string;
  role: Role;
  disabled: boolean;
  /** Sessions opened before this are over. */
  sessions_from: string;
  has_password: boolean;
  created_at: string;
  created_by: string;
  changed_at: string;
  changed_by: string;
};

/** A personal API token as listed (never its secret or hash). */
export type ApiTokenView = {
  token_id: string;
  user: string;
  name: string;
  role: Role;
  expires_at: string | null;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
};

const userColumns = [
  'user',
  'role',
  'disabled',
  'sessions_from',
  'password_set_at',
  'created_at',
  'created_by',
  'changed_at',
  'changed_by',
] as const;

const toUser = (r: Pick<ReadModels['users'], (typeof userColumns)[number]>): UserView => ({
  user: r.user,
  role: r.role as Role,
  disabled: r.disabled === 1,
  sessions_from: r.sessions_from,
  has_password: r.password_set_at !== null,
  created_at: r.created_at,
  created_by: r.created_by,
  changed_at: r.changed_at,
  changed_by: r.changed_by,
});

/** One user, or undefined. */
export const getUser = async (db: Kysely<ReadModels>, user: string): Promise<UserView | undefined> => {
  const row = await db.selectFrom('users').select(userColumns).where('user', '=', user).executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
};

/** Every user, by name. */
export const listUsers = async (db: Kysely<ReadModels>): Promise<UserView[]> =>
  (await db.selectFrom('users').select(userColumns).orderBy('user').execute()).map(toUser);

const tokenColumns = [
  'token_id',
  'user',
  'name',
  'role',
  'expires_at',
  'created_at',
  'created_by',
  'revoked_at',
  'revoked_by',
] as const;

/** One personal token, or undefined. */
export const getApiToken = async (db: Kysely<ReadModels>, tokenId: string): Promise<ApiTokenView | undefined> => {
  const row = await db.selectFrom('api_tokens').select(tokenColumns).where('token_id', '=', tokenId).executeTakeFirst();
  return row === undefined ? undefined : { ...row, role: row.role as Role };
};

/** Personal tokens, newest first: every user's, or one user's. */
export const listApiTokens = async (db: Kysely<ReadModels>, user?: string): Promise<ApiTokenView[]> => {
  let query = db.selectFrom('api_tokens').select(tokenColumns);
  if (user !== undefined) query = query.where('user', '=', user);
  return (await query.orderBy('token_id', 'desc').execute()).map((r) => ({ ...r, role: r.role as Role }));
};

import type { Kysely } from 'kysely';
import type { ReadModels } from '../schema.ts';

/** An enrollment token as listed (never its secret). */
export type EnrollmentTokenView = {
  token_id: string;
  name: string;
  auto_approve: boolean;
  expires_at: string | null;
  groups: string[];
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
};

/** Every enrollment token, newest first. */
export const listEnrollmentTokens = async (db: Kysely<ReadModels>): Promise<EnrollmentTokenView[]> =>
  (
    await db
      .selectFrom('enrollment_tokens')
      .select([
        'token_id',
        'name',
        'auto_approve',
        'expires_at',
        'groups',
        'created_at',
        'created_by',
        'revoked_at',
        'revoked_by',
      ])
      .orderBy('token_id', 'desc')
      .execute()
  ).map((r) => ({ ...r, auto_approve: r.auto_approve === 1, groups: JSON.parse(r.groups) as string[] }));

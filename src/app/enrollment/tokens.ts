import type { KV } from '@nats-io/kv';
import { enrollmentTokenDecider, enrollmentTokenStreamName } from '../../domain/enrollment/index.ts';
import { type CommitContext, commandHandlerFor, type JetStreamEventStore } from '../../infra/eventStore/index.ts';
import { mintEnrollmentToken, storeEnrollmentSecret } from '../../infra/nats/secrets.ts';

const handleToken = commandHandlerFor(enrollmentTokenDecider);

/** What creating or revoking a token needs. */
export type EnrollmentTokenDeps = { store: JetStreamEventStore; secrets: KV; newId: () => string };

/** A new token: the secret is in `token`, shown once, never stored in the clear. */
export type CreatedEnrollmentToken = {
  token_id: string;
  name: string;
  auto_approve: boolean;
  expires_at: string | null;
  groups: string[];
  token: string;
  seq: number;
};

/**
 * Creates an enrollment token. The secret's hash goes to the secret store first, then the event: a
 * token is never recorded that could not be checked (a hash without its event is never used).
 */
export const createEnrollmentToken = async (
  deps: EnrollmentTokenDeps,
  request: { name: string; autoApprove: boolean; expiresAt: string | null; groups: string[] },
  commit: CommitContext,
): Promise<CreatedEnrollmentToken> => {
  const token_id = deps.newId();
  const { token, hash } = mintEnrollmentToken(token_id);
  await storeEnrollmentSecret(deps.secrets, token_id, hash);
  const data = {
    token_id,
    name: request.name,
    auto_approve: request.autoApprove,
    expires_at: request.expiresAt,
    groups: [...new Set(request.groups)].sort(),
  };
  const handled = await handleToken(
    deps.store,
    enrollmentTokenStreamName(token_id),
    { type: 'CreateEnrollmentToken', data },
    commit,
  );
  return { ...data, token, seq: handled.seq };
};

/** Revokes a token; requests presenting it are refused from then on (agents already approved stay). */
export const revokeEnrollmentToken = async (
  deps: Pick<EnrollmentTokenDeps, 'store'>,
  tokenId: string,
  commit: CommitContext,
): Promise<{ changed: boolean; seq: number }> => {
  const handled = await handleToken(
    deps.store,
    enrollmentTokenStreamName(tokenId),
    { type: 'RevokeEnrollmentToken', data: { token_id: tokenId } },
    commit,
  );
  return { changed: handled.events.length > 0, seq: handled.seq };
};

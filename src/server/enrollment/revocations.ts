import type { NatsConnection } from '@nats-io/transport-node';
import { type BrokerAuthority, lookupAccountClaims, pushAccountJwt } from '../../infra/broker/authority.ts';
import type { Logger } from '../../infra/log.ts';
import type { ReadModelsService } from '../../projections/index.ts';
import type { LoopReporter } from '../loopHealth.ts';

const EVERY_MS = 30_000;
// The broker revokes JWTs issued at or before the revocation time. A credential issued in a race
// with the termination (read before, signed just after) is covered too: nothing legitimate issues
// one for a revoked key later.
const RACE_MARGIN_S = 300;
const revocationTime = (revokedAt: string) => Math.floor(Date.parse(revokedAt) / 1000) + RACE_MARGIN_S;

/**
 * Keeps the broker's revocation list a superset of the agent keys the event log revoked (terminated
 * agents, keys replaced by a re-enrollment), for as long as a credential of theirs could still be
 * valid: agent credentials expire, so a revocation older than their lifetime is dropped (the list
 * stays small however long the fleet lives). The broker's current account is the template (settings
 * changed with nsc survive), revocations pushed by another server are kept, every push is read back,
 * and the whole check runs every 30 s, so a lost or ignored update is repaired.
 */
export const startRevocationSync = (deps: {
  readModels: ReadModelsService;
  authority: BrokerAuthority;
  system: NatsConnection;
  log: Logger;
  health: LoopReporter;
  now?: () => Date;
}) => {
  const now = deps.now ?? (() => new Date());
  let busy: Promise<void> | undefined;
  let again = false;
  let againFull = false;
  // The revoked keys as of the last sync that succeeded: a committed batch that changed none of them
  // (a burst of results commits hundreds) asks the broker nothing; the 30 s check always does.
  let synced: string | undefined;
  let stopped = false;
  const account = deps.authority.manifest.account;

  const sync = async (full: boolean) => {
    const nowS = Math.floor(now().getTime() / 1000);
    const live = (ts: number) => ts + deps.authority.lifetimeS > nowS;
    const revoked = await deps.readModels
      .db()
      .selectFrom('revoked_agent_keys')
      .select(['public_key', 'revoked_at'])
      .orderBy('public_key')
      .execute();
    const fingerprint = revoked.map((r) => `${r.public_key}@${r.revoked_at}`).join(',');
    if (!full && fingerprint === synced) return;
    await reconcile(revoked, live);
    synced = fingerprint;
  };

  const reconcile = async (revoked: { public_key: string; revoked_at: string }[], live: (ts: number) => boolean) => {
    const wanted = new Map(revoked.map((r) => [r.public_key, revocationTime(r.revoked_at)] as const));
    const claims = await lookupAccountClaims(deps.system, account);
    const held = claims.nats.revocations ?? {};
    const merged: Record<string, number> = {};
    for (const [key, ts] of [...Object.entries(held), ...wanted]) {
      const best = Math.max(merged[key] ?? 0, ts);
      if (live(best)) merged[key] = best;
    }
    const missing = [...wanted].filter(([key, ts]) => live(ts) && (held[key] ?? 0) < ts).map(([key]) => key);
    const expired = Object.keys(held).filter((key) => merged[key] === undefined);
    if (missing.length === 0 && expired.length === 0) return;
    await pushAccountJwt(deps.system, await deps.authority.accountJwt(claims, merged));
    const after = (await lookupAccountClaims(deps.system, account)).nats.revocations ?? {};
    const notTaken = missing.filter((key) => (after[key] ?? 0) < (merged[key] ?? 0));
    if (notTaken.length > 0)
      throw new Error(
        `the broker answered the account update but does not hold ${notTaken.length} revocation(s); ` +
          "is this server's clock behind the account JWT's issue time?",
      );
    if (missing.length > 0) deps.log.info('revoked agent keys at the broker', { keys: missing });
    if (expired.length > 0)
      deps.log.info('dropped revocations older than any agent credential', { count: expired.length });
  };

  const schedule = (full: boolean) => {
    if (stopped) return;
    if (busy !== undefined) {
      again = true;
      againFull ||= full;
      return;
    }
    busy = sync(full)
      .then(() => deps.health.ok())
      .catch((error: unknown) => deps.health.failed(error))
      .finally(() => {
        busy = undefined;
        if (again) {
          const next = againFull;
          again = false;
          againFull = false;
          schedule(next);
        }
      });
  };
  const unsubscribe = deps.readModels.onApplied(() => schedule(false));
  const timer = setInterval(() => schedule(true), EVERY_MS);
  schedule(true);
  return {
    stop: async () => {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      await busy;
    },
  };
};

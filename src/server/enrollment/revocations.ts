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
 * agents, keys replaced by a re-enrollment): the broker then disconnects them at once and refuses
 * them for good. It merges with what the broker holds (never dropping a revocation another server
 * pushed) and re-checks every 30 s, so a lost update is repaired well within a minute.
 */
export const startRevocationSync = (deps: {
  readModels: ReadModelsService;
  authority: BrokerAuthority;
  system: NatsConnection;
  log: Logger;
  health: LoopReporter;
}) => {
  let busy: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const sync = async () => {
    const revoked = await deps.readModels
      .db()
      .selectFrom('revoked_agent_keys')
      .select(['public_key', 'revoked_at'])
      .execute();
    if (revoked.length === 0) return;
    const claims = await lookupAccountClaims(deps.system, deps.authority.manifest.account);
    const held = claims.nats.revocations ?? {};
    const missing = revoked.filter((r) => (held[r.public_key] ?? 0) < revocationTime(r.revoked_at));
    if (missing.length === 0) return;
    const merged = { ...held };
    for (const r of revoked) merged[r.public_key] = Math.max(held[r.public_key] ?? 0, revocationTime(r.revoked_at));
    await pushAccountJwt(deps.system, await deps.authority.accountJwt(merged));
    deps.log.info('revoked agent keys at the broker', { keys: missing.map((r) => r.public_key) });
  };

  const schedule = () => {
    if (stopped) return;
    if (busy !== undefined) {
      again = true;
      return;
    }
    busy = sync()
      .then(() => deps.health.ok())
      .catch((error: unknown) => deps.health.failed(error))
      .finally(() => {
        busy = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  };
  const unsubscribe = deps.readModels.onApplied(schedule);
  const timer = setInterval(schedule, EVERY_MS);
  schedule();
  return {
    stop: async () => {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      await busy;
    },
  };
};

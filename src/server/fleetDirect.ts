import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ulid } from 'ulid';
import { FLEET_STREAM, type FleetCommand, fleetDecider } from '../domain/fleet/index.ts';
import { commandHandlerFor, jetStreamEventStore } from '../infra/eventStore/index.ts';
import type { Logger } from '../infra/log.ts';
import { connectNats, type NatsAuth } from '../infra/nats/connection.ts';
import { openViews } from '../infra/nats/fleet.ts';
import { loadCommandSigner } from './signing.ts';
import { applyViewChanges } from './viewsWriter.ts';

const handleFleet = commandHandlerFor(fleetDecider);

/**
 * Break-glass emergency stop through NATS, for when the server is down: records the event (so the
 * audit trail and the server agree once it is back) and writes the agents' flag itself, at once.
 * NATS access is the credential here; the actor is `direct:<os user>`.
 */
export const fleetDirect = async (options: {
  nats: { url: string; auth: NatsAuth };
  command: FleetCommand;
  /** The server's signing key, when this machine has it: agents believe only signed flags. */
  signingKeyFile: string | undefined;
  log: Logger;
}): Promise<{ changed: boolean; seq: number; signed: boolean }> => {
  const signer =
    options.signingKeyFile !== undefined && existsSync(options.signingKeyFile)
      ? loadCommandSigner({ keyFile: options.signingKeyFile, log: options.log })
      : undefined;
  const nc = await connectNats({
    url: options.nats.url,
    auth: options.nats.auth,
    name: 'kanade-fleet-direct',
    log: options.log,
    failFast: true,
  });
  try {
    const store = jetStreamEventStore(jetstream(nc), await jetstreamManager(nc));
    const commit = {
      id: ulid(),
      actor: `direct:${userInfo().username}`,
      at: new Date().toISOString(),
      via: 'cli-direct',
    };
    // The flag first, then the event: a running server rewrites the flag (signed) once it sees the
    // event, so its write always lands after this one (the other way round, an unsigned flag written
    // after the server's signed one would leave agents refusing work).
    const { state } = await store.aggregateStream(FLEET_STREAM, fleetDecider);
    const views = await openViews(nc);
    for (const [index, event] of fleetDecider.decide(options.command, state).entries()) {
      await applyViewChanges(
        views,
        {
          ...event,
          schema: 1,
          seq: 0,
          index,
          stream: FLEET_STREAM,
          commitId: commit.id,
          actor: commit.actor,
          at: commit.at,
          via: commit.via,
        },
        signer?.signView,
      );
    }
    const handled = await handleFleet(store, FLEET_STREAM, options.command, commit);
    return { changed: handled.events.length > 0, seq: handled.seq, signed: signer !== undefined };
  } finally {
    await nc.drain();
  }
};

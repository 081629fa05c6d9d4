import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from '../infra/log.ts';
import { COMMANDS_STREAM } from '../infra/nats/fleet.ts';
import { agentCommandFilters, groupCommandFilter } from '../infra/nats/subjects.ts';
import type { CommandMessage } from './commandHandler.ts';

type IntakeDeps = {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  pcId: string;
  handle: (message: CommandMessage, source: string) => void;
  log: Logger;
};

/**
 * Command intake without a durable consumer per agent (tens of thousands of durables hurt a cluster):
 * live core subscriptions, plus a catch-up read of the last command per subject on start, on every
 * reconnect and when a group is joined. Duplicates from the two paths are dropped by the handler.
 */
export const createIntake = (deps: IntakeDeps) => {
  const subscriptions = new Map<string, Subscription>();

  const listen = async (filter: string) => {
    if (subscriptions.has(filter)) return;
    const sub = deps.nc.subscribe(filter, {
      callback: (error, msg) => {
        if (error === null) deps.handle({ subject: msg.subject, data: msg.data, headers: msg.headers }, 'live');
      },
    });
    subscriptions.set(filter, sub);
    await deps.nc.flush(); // the SUB must reach the server before anyone publishes (kanade's subscribe race)
  };

  // Reads the last retained command of every subject under `filter`: the subjects come from stream
  // info and each is read with a direct get, so a catch-up creates no consumer on the server.
  const catchUp = async (filter: string) => {
    const info = await deps.jsm.streams.info(COMMANDS_STREAM, { subjects_filter: filter });
    for (const subject of Object.keys(info.state.subjects ?? {}).sort()) {
      const message = await deps.jsm.direct.getMessage(COMMANDS_STREAM, { last_by_subj: subject });
      if (message !== null)
        deps.handle({ subject: message.subject, data: message.data, headers: message.header }, 'catch-up');
    }
  };

  return {
    /** Subscribes to all, this PC and `groups`, then catches up on each. */
    start: async (groups: readonly string[]) => {
      const filters = agentCommandFilters(deps.pcId, groups);
      for (const filter of filters) await listen(filter);
      for (const filter of filters) await catchUp(filter);
    },
    /** Catches up on every subscribed filter (after a reconnect). */
    catchUpAll: async () => {
      for (const filter of subscriptions.keys()) await catchUp(filter);
    },
    /** Follows a membership change: subscribe to new groups (and catch up), drop old ones. */
    setGroups: async (groups: readonly string[]) => {
      const wanted = new Set(groups.map(groupCommandFilter));
      let changed = false;
      for (const [filter, sub] of subscriptions) {
        if (filter.includes('.group.') && !wanted.has(filter)) {
          sub.unsubscribe();
          subscriptions.delete(filter);
          changed = true;
        }
      }
      for (const filter of wanted) {
        if (subscriptions.has(filter)) continue;
        await listen(filter);
        await catchUp(filter);
        changed = true;
      }
      if (changed) deps.log.info('group membership', { groups });
    },
    stop: () => {
      for (const sub of subscriptions.values()) sub.unsubscribe();
      subscriptions.clear();
    },
  };
};

/** An agent's intake. */
export type Intake = ReturnType<typeof createIntake>;

import type { NatsConnection } from '@nats-io/transport-node';
import { heartbeatSubject, pingSubject, pongPrefix } from '../infra/nats/subjects.ts';

/** Facts an agent reports about itself. */
export type AgentFacts = { pc_id: string; hostname: string; os: string; arch: string; agent_version: string };

/** A heartbeat payload (kanade's Heartbeat, trimmed to what this agent knows), with the settings it runs with. */
export type Heartbeat = AgentFacts & { at: string; groups: string[]; running: number; config?: object };

/**
 * Publishes a heartbeat now and every `intervalMs` (the stream keeps the last one per agent), and
 * answers pings with a fresh one. Core publishes: a missed beat is harmless, the next one follows.
 */
export const startHeartbeat = (deps: {
  nc: NatsConnection;
  facts: AgentFacts;
  intervalMs: number;
  state: () => { groups: string[]; running: number; config?: object };
  now: () => number;
}) => {
  const beat = (): Heartbeat => ({ ...deps.facts, at: new Date(deps.now()).toISOString(), ...deps.state() });
  const publish = () => {
    if (!deps.nc.isClosed()) deps.nc.publish(heartbeatSubject(deps.facts.pc_id), JSON.stringify(beat()));
  };
  const pong = `${pongPrefix(deps.facts.pc_id)}.`;
  const ping = deps.nc.subscribe(pingSubject(deps.facts.pc_id), {
    callback: (error, msg) => {
      // Answers only on its own pong subject (the only place its credential may publish an answer).
      if (error === null && msg.reply?.startsWith(pong) === true) msg.respond(JSON.stringify(beat()));
    },
  });
  publish();
  let intervalMs = deps.intervalMs;
  let timer = setInterval(publish, intervalMs);
  return {
    /** Sends one now (e.g. right after a reconnect, so the fleet sees us back at once). */
    publish,
    /** Beats every `ms` from now on (a config change). */
    setInterval: (ms: number) => {
      if (ms === intervalMs) return;
      intervalMs = ms;
      clearInterval(timer);
      timer = setInterval(publish, intervalMs);
    },
    stop: () => {
      clearInterval(timer);
      ping.unsubscribe();
    },
  };
};

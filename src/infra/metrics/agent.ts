import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** What an agent did with a command it received. */
export type CommandOutcome = 'run' | 'skipped' | 'duplicate' | 'refused' | 'unreadable' | 'already_recorded';

/** What the outbox gauges read at scrape time: the agent's outbox itself, not a counter kept beside it. */
export type OutboxSource = { depth(): number; deadLetters(): number };

const NO_OUTBOX: OutboxSource = { depth: () => 0, deadLetters: () => 0 };

/**
 * Every metric of one `kanade agent` process, in a registry of its own. The outbox gauges read the
 * outbox the agent running now gave `watchOutbox` (0 before it starts); the counters live as long as the process (an agent that
 * restarts itself with a renewed credential keeps counting).
 */
export const createAgentMetrics = () => {
  let outbox = NO_OUTBOX;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  new Gauge({
    name: 'kanade_agent_outbox_depth',
    help: 'Results and events in the outbox waiting for a JetStream ack',
    registers,
    collect() {
      this.set(outbox.depth());
    },
  });
  new Gauge({
    name: 'kanade_agent_dead_letters',
    help: 'Outbox entries that could never be read, moved to outbox/dead for a human to look at',
    registers,
    collect() {
      this.set(outbox.deadLetters());
    },
  });
  const reconnects = new Counter({
    name: 'kanade_agent_reconnects_total',
    help: 'Times the connection to the broker came back after it was lost',
    registers,
  });
  const commands = new Counter({
    name: 'kanade_agent_commands_received_total',
    help: 'Commands received, by what became of them: run, skipped (by a gate), duplicate, refused (signature), unreadable, already_recorded',
    labelNames: ['outcome'],
    registers,
  });
  const runs = new Counter({
    name: 'kanade_agent_runs_total',
    help: 'Scripts that ran (started), by outcome: succeeded, failed, timed_out, killed, lost',
    labelNames: ['outcome'],
    registers,
  });
  return {
    registry,
    /** The outbox the gauges read from now on (each start of the agent opens its own). */
    watchOutbox: (source: OutboxSource): void => {
      outbox = source;
    },
    reconnected: (): void => reconnects.inc(),
    commandReceived: (outcome: CommandOutcome): void => commands.inc({ outcome }),
    runFinished: (outcome: string): void => runs.inc({ outcome }),
  };
};

/** The metrics of an agent process. */
export type AgentMetrics = ReturnType<typeof createAgentMetrics>;

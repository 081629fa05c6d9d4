import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { type RunningAgent, startAgent } from '../src/agent/agent.ts';
import type { Executor } from '../src/agent/processRunner.ts';
import { openTrust } from '../src/agent/trust.ts';
import { silentLogger } from '../src/infra/log.ts';
import { bindViews } from '../src/infra/nats/fleet.ts';

// Returns at once: the benchmark measures kanade, not the scripts.
const instant: Executor = async () => ({ exitCode: 0, timedOut: false, killed: false, stdout: 'ok\n', stderr: '' });

/** Emulated agents share a connection this many at a time. */
export const AGENTS_PER_CONNECTION = 250;
const START_WINDOW = 500;

/** The pc id of the i-th emulated agent. */
export const benchPc = (i: number) => `bench-pc-${String(i + 1).padStart(5, '0')}`;

/**
 * `bench/main.ts fleet-agents`: one process of emulated agents (pcs `from` … `from + count - 1`) —
 * the real intake, signature check, gates, dedup journal and on-disk outbox, an executor that
 * returns at once. Says `ready` on stdout once every agent runs, and stops them all on SIGTERM.
 * A process holds three files per agent open (dedup journal, command journal, outbox): big fleets take several processes.
 */
export const runEmulatedAgents = async (o: {
  from: number;
  count: number;
  dir: string;
  natsUrl: string;
  credsFile: string;
  signingKey: string;
}): Promise<void> => {
  // Said loudly on stderr (the bench shows it) rather than ending every agent of the process.
  process.on('unhandledRejection', (error) => console.error('!! unhandled rejection in an agents process:', error));
  const creds = readFileSync(o.credsFile);
  const connections: NatsConnection[] = [];
  for (let i = 0; i < Math.ceil(o.count / AGENTS_PER_CONNECTION); i++)
    connections.push(
      await connect({
        servers: o.natsUrl,
        authenticator: credsAuthenticator(creds),
        maxReconnectAttempts: -1,
        noAsyncTraces: true, // as agents connect (connectNats)
      }),
    );
  const views = connections.map((nc) => bindViews(nc));
  const agents: RunningAgent[] = [];
  const start = async (k: number) => {
    const pc = benchPc(o.from + k);
    const dataDir = join(o.dir, 'agents', pc);
    mkdirSync(dataDir, { recursive: true });
    const trust = openTrust(dataDir);
    trust.pin([o.signingKey], false);
    const slot = Math.floor(k / AGENTS_PER_CONNECTION);
    agents.push(
      await startAgent({
        facts: { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'bench' },
        initialGroups: ['bench'],
        dataDir,
        nc: connections[slot] as NatsConnection,
        trust,
        log: silentLogger,
        shells: ['sh'],
        executor: instant,
        views: views[slot] as (typeof views)[number],
      }),
    );
  };
  for (let from = 0; from < o.count; from += START_WINDOW)
    await Promise.all(Array.from({ length: Math.min(START_WINDOW, o.count - from) }, (_, k) => start(from + k)));
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.once('SIGTERM', resolve));
  for (let from = 0; from < agents.length; from += START_WINDOW)
    await Promise.all(agents.slice(from, from + START_WINDOW).map((a) => a.stop()));
  await Promise.all(connections.map((c) => c.drain().catch(() => {})));
  process.exit(0);
};

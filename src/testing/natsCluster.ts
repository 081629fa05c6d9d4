import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { brokerFiles, initBroker } from '../infra/broker/init.ts';
import type { NatsAuth } from '../infra/nats/connection.ts';
import { type ClusterNode, nodeStartOptions, planNatsCluster, waitForMetaLeader } from '../infra/natsCluster.ts';
import { findNatsServer, type NatsServerProcess, startNatsServer } from '../infra/natsServer.ts';

/**
 * A real nats-server cluster for one test file (three processes by default, routed to each other on
 * loopback, JetStream with a store each), authenticated like production from a fresh `kanade broker
 * init`. Nodes can be killed (SIGKILL: no goodbye to the cluster) and started again with their store.
 */
export type TestNatsCluster = {
  /** Every node's client URL, comma-separated (what a kanade server or agent is given). */
  url: string;
  nodes: readonly ClusterNode[];
  brokerDir: string;
  serverAuth: NatsAuth;
  bootstrapAuth: NatsAuth;
  /** A client with the server's credential, knowing every node. */
  connect(options?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  /** The name of the server leading a stream's replicas (`n1`…). */
  streamLeader(stream: string): Promise<string>;
  /** Kills a node at once (SIGKILL) and waits for it to be gone. */
  kill(name: string): Promise<void>;
  /** Starts a killed node again on its ports with its store, and waits for a JetStream leader. */
  restart(name: string): Promise<void>;
  running(): string[];
  dispose(): Promise<void>;
};

/** Starts a throwaway cluster and waits until JetStream has a meta leader. */
export const startTestNatsCluster = async (size = 3): Promise<TestNatsCluster> => {
  const bin = findNatsServer(process.env.KANADE_NATS_SERVER_BIN, process.env.PATH);
  if (bin === undefined) throw new Error('nats-server not found: apt-get install nats-server');
  const root = mkdtempSync(join(tmpdir(), 'kanade-cluster-'));
  const brokerDir = join(root, 'broker');
  await initBroker(brokerDir);
  const files = brokerFiles(brokerDir);
  const plan = await planNatsCluster({ dir: root, size, brokerConfigFile: files.serverConfig });
  const servers = new Map<string, NatsServerProcess>();
  const nodeNamed = (name: string) => {
    const node = plan.nodes.find((n) => n.name === name);
    if (node === undefined) throw new Error(`no node ${name} in this cluster`);
    return node;
  };
  const start = async (node: ClusterNode) => {
    servers.set(node.name, await startNatsServer(nodeStartOptions(bin, node)));
  };
  // A test worker that exits without disposing (a hook that timed out) must not leave servers behind.
  const killAll = () => {
    for (const s of servers.values()) s.process.kill('SIGKILL');
  };
  process.on('exit', killAll);
  const connectServer = (options: Partial<ConnectionOptions> = {}) =>
    connect({
      servers: plan.urls.split(','),
      authenticator: credsAuthenticator(readFileSync(files.serverCreds)),
      ...options,
    });
  // A leader elected is not yet an answer: the account's JetStream comes up on the servers after it.
  const ready = async () => {
    await waitForMetaLeader(plan.nodes);
    await askUntilAnswered(connectServer, async (jsm) => jsm.getAccountInfo());
  };
  try {
    await Promise.all(plan.nodes.map(start));
    await ready();
  } catch (error) {
    process.off('exit', killAll);
    await Promise.all([...servers.values()].map((s) => s.stop()));
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    url: plan.urls,
    nodes: plan.nodes,
    brokerDir,
    serverAuth: { credsFile: files.serverCreds },
    bootstrapAuth: { credsFile: files.enrollCreds },
    connect: connectServer,
    streamLeader: (stream) =>
      askUntilAnswered(connectServer, async (jsm) => {
        const leader = (await jsm.streams.info(stream)).cluster?.leader;
        if (leader === undefined || leader === '') throw new Error(`stream ${stream} has no leader`);
        return leader;
      }),
    kill: async (name) => {
      const server = servers.get(name);
      if (server === undefined) return;
      servers.delete(name);
      if (server.process.exitCode !== null || server.process.signalCode !== null) return;
      const gone = new Promise((resolve) => server.process.once('exit', resolve));
      server.process.kill('SIGKILL');
      await gone;
    },
    restart: async (name) => {
      if (servers.has(name)) return;
      await start(nodeNamed(name));
      await ready();
    },
    running: () => [...servers.keys()],
    dispose: async () => {
      process.off('exit', killAll);
      await Promise.all([...servers.values()].map((s) => s.stop()));
      servers.clear();
      rmSync(root, { recursive: true, force: true });
    },
  };
};

// Asks JetStream until it answers: right after a start or a kill the servers elect leaders and load
// the account for a few seconds, and requests time out meanwhile.
const askUntilAnswered = async <T>(
  connectServer: () => Promise<NatsConnection>,
  ask: (jsm: JetStreamManager) => Promise<T>,
  timeoutMs = 30_000,
): Promise<T> => {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const nc = await connectServer();
    try {
      return await ask(await jetstreamManager(nc, { timeout: 2_000 }));
    } catch (error) {
      if (performance.now() > deadline) throw error;
    } finally {
      await nc.close();
    }
    await sleep(200);
  }
};

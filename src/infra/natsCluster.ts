import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolverConfig } from './broker/init.ts';
import type { StartNatsOptions } from './natsServer.ts';

/** One server of a loopback cluster: its ports, store, and the configuration file written for it. */
export type ClusterNode = {
  name: string;
  host: string;
  port: number;
  routePort: number;
  monitorPort: number;
  storeDir: string;
  configFile: string;
};

/** A cluster laid out on disk: what to start, and the URL list clients connect with. */
export type ClusterPlan = {
  name: string;
  nodes: ClusterNode[];
  /** Every node's client URL, comma-separated (what `--nats-url` and KANADE_NATS_URL take). */
  urls: string;
};

/** JetStream needs a majority of its servers for every write: more than five is never a sandbox. */
export const MAX_CLUSTER_SIZE = 5;

const CLUSTER_NAME = 'kanade';

/**
 * Lays out a `size`-server nats-server cluster on loopback under `dir`: free client, route and
 * monitoring ports, a store and an account-resolver directory per node, and a configuration per node
 * that includes the broker directory's (operator mode, the same accounts and credentials as a single
 * server) and routes to every other node. The store keeps the servers' names, so a cluster laid out
 * again in the same `dir` finds its streams.
 */
export const planNatsCluster = async (o: {
  dir: string;
  size: number;
  /** The broker directory's nats-server.conf (`kanade broker init`). */
  brokerConfigFile: string;
  host?: string;
}): Promise<ClusterPlan> => {
  const host = o.host ?? '127.0.0.1';
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > MAX_CLUSTER_SIZE)
    throw new Error(`a cluster has 1 to ${MAX_CLUSTER_SIZE} servers, not ${o.size}`);
  const ports = await freePorts(host, o.size * 3);
  const nodes = Array.from({ length: o.size }, (_, i): ClusterNode => {
    const name = `n${i + 1}`;
    const nodeDir = join(o.dir, name);
    return {
      name,
      host,
      port: ports[i * 3] as number,
      routePort: ports[i * 3 + 1] as number,
      monitorPort: ports[i * 3 + 2] as number,
      storeDir: join(nodeDir, 'store'),
      configFile: join(nodeDir, 'nats-server.conf'),
    };
  });
  for (const node of nodes) {
    mkdirSync(join(dirname(node.configFile), 'jwt'), { recursive: true, mode: 0o700 });
    writeFileSync(node.configFile, nodeConfig(node, nodes, o.brokerConfigFile));
  }
  return { name: CLUSTER_NAME, nodes, urls: nodes.map((n) => `nats://${host}:${n.port}`).join(',') };
};

/** How `startNatsServer` / `superviseNatsServer` start one node of a plan. */
export const nodeStartOptions = (bin: string, node: ClusterNode): StartNatsOptions => ({
  bin,
  storeDir: node.storeDir,
  host: node.host,
  port: node.port,
  configFile: node.configFile,
});

// nats-server resolves includes against the including file's directory, so the path is relative.
const nodeConfig = (node: ClusterNode, all: ClusterNode[], brokerConfigFile: string) =>
  [
    `# Written by kanade: server ${node.name} of a ${all.length}-server cluster on loopback.`,
    `include ${JSON.stringify(relative(dirname(node.configFile), brokerConfigFile))}`,
    `server_name: ${node.name}`,
    `http: "${node.host}:${node.monitorPort}"`,
    '# Every server keeps the account updates it is sent (revocations) in a directory of its own.',
    ...resolverConfig(join(dirname(node.configFile), 'jwt')),
    'cluster {',
    `  name: ${CLUSTER_NAME}`,
    `  listen: "${node.host}:${node.routePort}"`,
    `  routes: [${all.map((n) => JSON.stringify(`nats-route://${n.host}:${n.routePort}`)).join(', ')}]`,
    '}',
    '',
  ].join('\n');

/**
 * Waits until the JetStream meta group of the cluster has a leader (asked of any node's monitoring
 * endpoint): before that no stream can be created or looked up. Returns the leader's name.
 */
export const waitForMetaLeader = async (nodes: readonly ClusterNode[], timeoutMs = 30_000): Promise<string> => {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    for (const node of nodes) {
      const leader = await metaLeaderSeenBy(node);
      if (leader !== undefined) return leader;
    }
    await sleep(100);
  }
  throw new Error(`the NATS cluster elected no JetStream leader within ${timeoutMs} ms`);
};

/** The meta leader a node knows of, or undefined (no leader yet, the node down). */
export const metaLeaderSeenBy = async (node: ClusterNode): Promise<string | undefined> => {
  try {
    const res = await fetch(`http://${node.host}:${node.monitorPort}/jsz`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { meta_cluster?: { leader?: string } };
    const leader = body.meta_cluster?.leader;
    return leader === undefined || leader === '' ? undefined : leader;
  } catch {
    return undefined;
  }
};

// Ports the OS says are free now (all held at once so none is handed out twice).
const freePorts = async (host: string, count: number): Promise<number[]> => {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, host, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
};

import { join } from 'node:path';
import { brokerFiles } from '../infra/broker/init.ts';
import { MAX_REPLICAS } from '../infra/nats/replicas.ts';
import { MAX_CLUSTER_SIZE, nodeStartOptions, planNatsCluster, waitForMetaLeader } from '../infra/natsCluster.ts';
import { findNatsServer, type SupervisedNatsServer, superviseNatsServer } from '../infra/natsServer.ts';
import type { CliConfig } from './config.ts';
import { UsageError } from './errors.ts';

/** The nats-server binary the sandbox spawns, or a clear error saying how to get one. */
export const natsServerBin = (config: CliConfig): string => {
  const bin = findNatsServer(config.natsServerBin, config.path);
  if (bin === undefined) {
    throw new Error(
      'nats-server was not found (PATH, /usr/sbin, /usr/local/bin). Install it: `sudo apt-get install nats-server`, ' +
        'or set KANADE_NATS_SERVER_BIN to its path, or KANADE_NATS_URL to a running broker.',
    );
  }
  return bin;
};

/** `--replicas N` / KANADE_REPLICAS: a whole number of copies JetStream can keep, or undefined. */
export const parseReplicas = (raw: string | undefined): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS)
    throw new UsageError(`--replicas (KANADE_REPLICAS) must be a whole number from 1 to ${MAX_REPLICAS}, not ${raw}`);
  return n;
};

/** `kanade dev --cluster N`: how many nats-servers the sandbox runs (1, the default, is a single one). */
export const parseClusterSize = (raw: string | undefined): number => {
  if (raw === undefined) return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CLUSTER_SIZE)
    throw new UsageError(`--cluster must be a whole number from 1 to ${MAX_CLUSTER_SIZE}, not ${raw}`);
  return n;
};

/**
 * The sandbox's cluster: `size` nats-servers on loopback (stores under `<dir>/n1/store`, …), routed to
 * each other, in operator mode with the sandbox's broker directory; each restarted when it dies.
 * Resolves once JetStream has elected its meta leader; `url` lists every server.
 */
export const spawnNatsCluster = async (
  config: CliConfig,
  size: number,
  dir: string,
  brokerDir: string,
  onEvent: Parameters<typeof superviseNatsServer>[1],
): Promise<SupervisedNatsServer> => {
  const bin = natsServerBin(config);
  const plan = await planNatsCluster({ dir, size, brokerConfigFile: brokerFiles(brokerDir).serverConfig });
  const nodes: SupervisedNatsServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (const node of plan.nodes) {
      nodes.push(
        await superviseNatsServer(nodeStartOptions(bin, node), (event) =>
          onEvent({ ...event, detail: `${node.name}: ${event.detail}` }),
        ),
      );
    }
    await waitForMetaLeader(plan.nodes);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: plan.urls, fatal: Promise.race(nodes.map((n) => n.fatal)), stop };
};

/** Where the sandbox keeps its cluster's servers. */
export const clusterDir = (dataDir: string): string => join(dataDir, 'nats-cluster');

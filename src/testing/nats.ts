import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { brokerFiles, initBroker } from '../infra/broker/init.ts';
import type { NatsAuth } from '../infra/nats/connection.ts';
import { findNatsServer, type NatsServerProcess, startNatsServer } from '../infra/natsServer.ts';

/**
 * A real nats-server for one test file, authenticated like production (operator mode from a fresh
 * `kanade broker init`: anonymous connections are refused), on a free port with a temp store;
 * `restart` keeps port, data and keys.
 */
export type TestNats = NatsServerProcess & {
  /** The broker directory: operator, accounts, server/system/bootstrap credentials. */
  brokerDir: string;
  /** How the kanade server (and operator tools) authenticate. */
  serverAuth: NatsAuth;
  /** The shared bootstrap credential agents enroll with. */
  bootstrapAuth: NatsAuth;
  /** A client with the server's credential (tests that talk to JetStream directly). */
  connect(options?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  restart(): Promise<void>;
  dispose(): Promise<void>;
};

/** Starts a throwaway `nats-server -js` (never a mock: the event store is only as good as its broker). */
export const startTestNats = async (): Promise<TestNats> => {
  const bin = findNatsServer(process.env.KANADE_NATS_SERVER_BIN, process.env.PATH);
  if (bin === undefined) throw new Error('nats-server not found: apt-get install nats-server');
  const root = mkdtempSync(join(tmpdir(), 'kanade-nats-'));
  const storeDir = join(root, 'store');
  const brokerDir = join(root, 'broker');
  await initBroker(brokerDir);
  const files = brokerFiles(brokerDir);
  const configFile = files.serverConfig;
  let server = await startNatsServer({ bin, storeDir, configFile });
  const handle: TestNats = {
    get url() {
      return server.url;
    },
    get port() {
      return server.port;
    },
    get process() {
      return server.process;
    },
    storeDir,
    brokerDir,
    serverAuth: { credsFile: files.serverCreds },
    bootstrapAuth: { credsFile: files.enrollCreds },
    connect: (options = {}) =>
      connect({
        servers: server.url,
        authenticator: credsAuthenticator(readFileSync(files.serverCreds)),
        ...options,
      }),
    stop: () => server.stop(),
    restart: async () => {
      await server.stop(); // a no-op when already stopped
      server = await startNatsServer({ bin, storeDir, port: server.port, configFile });
    },
    dispose: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return handle;
};

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer, type NatsServerProcess, startNatsServer } from '../infra/natsServer.ts';

/** A real nats-server for one test file: temp store dir, free port; `restart` keeps port and data. */
export type TestNats = NatsServerProcess & { restart(): Promise<void>; dispose(): Promise<void> };

/** Starts a throwaway `nats-server -js` (never a mock: the event store is only as good as its broker). */
export const startTestNats = async (): Promise<TestNats> => {
  const bin = findNatsServer(process.env.KANADE_NATS_SERVER_BIN, process.env.PATH);
  if (bin === undefined) throw new Error('nats-server not found: apt-get install nats-server');
  const storeDir = mkdtempSync(join(tmpdir(), 'kanade-nats-'));
  let server = await startNatsServer({ bin, storeDir });
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
    stop: () => server.stop(),
    restart: async () => {
      await server.stop(); // a no-op when already stopped
      server = await startNatsServer({ bin, storeDir, port: server.port });
    },
    dispose: async () => {
      await server.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return handle;
};

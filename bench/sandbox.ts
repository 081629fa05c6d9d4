import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect, credsAuthenticator } from '@nats-io/transport-node';
import { brokerFiles, initBroker } from '../src/infra/broker/init.ts';
import { createLogger } from '../src/infra/log.ts';
import { findNatsServer, startNatsServer } from '../src/infra/natsServer.ts';
import { startServer } from '../src/server/server.ts';
import { loadOrCreateSigningKey } from '../src/server/signing.ts';
import { describeMachine } from './machine.ts';
import { startServerProcess } from './serverProcess.ts';

/**
 * A throwaway nats-server (operator mode, as in production) and kanade server for one benchmark,
 * with a JSON API caller and a NATS client with the server's credential.
 */
export const startBenchSandbox = async (
  name: string,
  options: {
    /** Where the throwaway files go (tmpfs: `/dev/shm`). */
    baseDir?: string;
    /** Run the server as a `kanade server` process of its own instead of in this one. */
    serverProcess?: boolean;
  } = {},
) => {
  const bin = findNatsServer(process.env.KANADE_NATS_SERVER_BIN, process.env.PATH);
  if (bin === undefined) throw new Error('nats-server not found');
  const dir = mkdtempSync(join(options.baseDir ?? tmpdir(), `kanade-${name}-bench-`));
  const brokerDir = join(dir, 'broker');
  await initBroker(brokerDir);
  const files = brokerFiles(brokerDir);
  const nats = await startNatsServer({ bin, storeDir: join(dir, 'nats'), configFile: files.serverConfig });
  const signingKeyFile = join(dir, 'signing.nk');
  const signingKey = loadOrCreateSigningKey(signingKeyFile).key.getPublicKey();
  const token = 'bench-token-0123456789';
  const server = options.serverProcess
    ? await serverProcess({
        natsUrl: nats.url,
        serverCreds: files.serverCreds,
        brokerDir,
        signingKeyFile,
        dataDir: join(dir, 'server'),
        token,
      })
    : await inProcessServer(nats.url, files.serverCreds, brokerDir, signingKeyFile, join(dir, 'server'), token);
  console.log(`machine: ${describeMachine(bin)}`);
  // A GET that fails on the network (a kept-alive connection the server closed as it was reused, say,
  // on a machine too busy to answer in time) is asked again, saying so; anything else fails the bench.
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const send = () =>
      fetch(`${server.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    let res: Response;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await send();
        break;
      } catch (error) {
        if (method !== 'GET' || attempt >= 5) throw new Error(`${method} ${path}: ${String(error)}`, { cause: error });
        console.error(`!! ${method} ${path} failed (${String((error as Error).cause ?? error)}); asking again`);
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const creds = readFileSync(files.serverCreds);
  return {
    dir,
    nats,
    server,
    /** What another server process needs to join: the broker directory (with `server.creds`) and the signing key. */
    brokerDir,
    serverCreds: files.serverCreds,
    signingKeyFile,
    token,
    api,
    /** The public key commands are signed with (emulated agents trust it). */
    signingKey,
    connect: (options: Partial<ConnectionOptions> = {}) =>
      connect({ servers: nats.url, authenticator: credsAuthenticator(creds), noAsyncTraces: true, ...options }),
    stop: async () => {
      await server.stop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const inProcessServer = async (
  url: string,
  credsFile: string,
  brokerDir: string,
  keyFile: string,
  dataDir: string,
  token: string,
) => {
  const server = await startServer({
    nats: { url, auth: { credsFile } },
    brokerDir,
    signing: { keyFile },
    dataDir,
    host: '127.0.0.1',
    port: 0,
    auth: { kind: 'tokens', tokens: new Map([['bench', token]]) },
    log: createLogger('server', 'warn'),
  });
  return { url: server.url, pid: process.pid, readModels: server.readModels, stop: () => server.close() };
};

// A server in a process of its own: its read models are not this process's to read.
const serverProcess = async (o: Parameters<typeof startServerProcess>[0]) => ({
  ...(await startServerProcess(o)),
  readModels: undefined,
});

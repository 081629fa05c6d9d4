import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/infra/log.ts';
import { findNatsServer, startNatsServer } from '../src/infra/natsServer.ts';
import { startServer } from '../src/server/server.ts';
import { describeMachine } from './machine.ts';

/** A throwaway nats-server and kanade server for one benchmark, with a JSON API caller. */
export const startBenchSandbox = async (name: string) => {
  const bin = findNatsServer(process.env.KANADE_NATS_SERVER_BIN, process.env.PATH);
  if (bin === undefined) throw new Error('nats-server not found');
  const dir = mkdtempSync(join(tmpdir(), `kanade-${name}-bench-`));
  const nats = await startNatsServer({ bin, storeDir: join(dir, 'nats') });
  const token = 'bench-token-0123456789';
  const server = await startServer({
    natsUrl: nats.url,
    dataDir: join(dir, 'server'),
    host: '127.0.0.1',
    port: 0,
    auth: { kind: 'tokens', tokens: new Map([['bench', token]]) },
    log: createLogger('server', 'warn'),
  });
  console.log(`machine: ${describeMachine(bin)}`);
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    dir,
    nats,
    server,
    token,
    api,
    stop: async () => {
      await server.close();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

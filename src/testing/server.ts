import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../infra/log.ts';
import { type RunningServer, startServer } from '../server/server.ts';
import { startTestNats, type TestNats } from './nats.ts';

/** A real kanade server on a free port, with a temp data dir, against a real nats-server. */
export type TestServer = RunningServer & {
  token: string;
  dataDir: string;
  /** Calls the API with the admin token; `body` objects are sent as JSON, strings as YAML. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  dispose(): Promise<void>;
};

/**
 * Starts a server for a test; reuse `dataDir` to restart over the same files. Every server of one
 * test broker signs commands with the same key (as every server of one fleet must).
 */
export const startTestServer = async (
  nats: TestBroker,
  options: {
    /** Copies of every stream and bucket (a cluster's test asks for 3). */
    replicas?: number;
    dataDir?: string;
    signing?: { keyFile: string; previousKeyFile?: string };
    agentCredentialLifetimeS?: number;
    metricsPublic?: boolean;
    adhocApprovers?: number;
  } = {},
): Promise<TestServer> => {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kanade-server-'));
  const token = 'test-token';
  const server = await startServer({
    nats: { url: nats.url, auth: nats.serverAuth },
    ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
    brokerDir: nats.brokerDir,
    signing: options.signing ?? { keyFile: testSigningKey(nats) },
    dataDir,
    host: '127.0.0.1',
    port: 0,
    auth: { kind: 'tokens', tokens: new Map([['tester', token]]) },
    log: createLogger('test-server', process.env.KANADE_TEST_LOG === '1' ? 'debug' : 'error'),
    minSeqWaitMs: 500,
    ...(options.agentCredentialLifetimeS === undefined
      ? {}
      : { agentCredentialLifetimeS: options.agentCredentialLifetimeS }),
    ...(options.metricsPublic === undefined ? {} : { metricsPublic: options.metricsPublic }),
    ...(options.adhocApprovers === undefined ? {} : { adhocApprovers: options.adhocApprovers }),
  });
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined
          ? {}
          : { 'Content-Type': typeof body === 'string' ? 'application/yaml' : 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return {
    ...server,
    token,
    dataDir,
    api,
    dispose: async () => {
      await server.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

/** What a test server needs of its broker: a single test nats-server or a test cluster. */
export type TestBroker = Pick<TestNats, 'url' | 'serverAuth' | 'brokerDir'>;

/** The command-signing key every test server of a broker shares (unless a test rotates it). */
export const testSigningKey = (nats: Pick<TestBroker, 'brokerDir'>): string =>
  join(nats.brokerDir, 'command-signing.nk');

/** The groups the tests' agents ask for, which their auto-approve token grants. */
export const TEST_GROUPS = ['canary', 'wave1', 'wave2', 'lab', 'kiosk'];

/** Creates an enrollment token through the API (auto-approve unless told otherwise) and returns its secret. */
export const createEnrollToken = async (
  server: TestServer,
  autoApprove = true,
  name = 'tests',
  groups: readonly string[] = TEST_GROUPS,
): Promise<string> => {
  const res = await server.api('POST', '/api/enrollment-tokens', { name, auto_approve: autoApprove, groups });
  if (!res.ok) throw new Error(`could not create an enrollment token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
};

/** The sandbox of a test file: a real nats-server and server, which tests may stop and start again. */
export type Sandbox = {
  readonly nats: TestNats;
  readonly server: TestServer;
  /** An auto-approve enrollment token for the file's agents. */
  readonly enrollToken: string;
  /** Stops the server (NATS keeps running); `startServer` brings it back over the same data dir. */
  stopServer(): Promise<void>;
  startServer(options?: { signing?: { keyFile: string; previousKeyFile?: string } }): Promise<void>;
};

/** Registers a real nats-server and kanade server for the current test file; read them inside tests. */
export const useTestServer = (
  options: { agentCredentialLifetimeS?: number; adhocApprovers?: number } = {},
): Sandbox => {
  const handles = {
    stopServer: async () => {
      await handles.server.close();
    },
    startServer: async (restart = {}) => {
      handles.server = await startTestServer(handles.nats, { ...options, ...restart, dataDir: handles.server.dataDir });
    },
  } as Sandbox & { nats: TestNats; server: TestServer; enrollToken: string };
  beforeAll(async () => {
    handles.nats = await startTestNats();
    handles.server = await startTestServer(handles.nats, options);
    handles.enrollToken = await createEnrollToken(handles.server);
  });
  afterAll(async () => {
    await handles.server?.dispose();
    await handles.nats?.dispose();
  });
  return handles;
};

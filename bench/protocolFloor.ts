import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { startFollower } from './fanin.ts';
import { AGENTS_PER_CONNECTION } from './fleetAgents.ts';

const COMMANDS = 'BENCH_PROTOCOL_COMMANDS';
const RUNS = 'BENCH_PROTOCOL_RUNS';

/** Where the protocol floor runs: the broker (with a credential) and a directory for its SQLite file. */
export type ProtocolFloorSite = { natsUrl: string; credsFile: string; dir: string };

/**
 * The work kanade's protocol cannot do without, done the rawest way (the client library, node:crypto
 * and better-sqlite3; no kanade code): one signed command stored in a stream and delivered to N
 * subscribers over the same connections; each checks the ed25519 signature (once per process, as the
 * emulated agents do: src/infra/signing/ed25519.ts), then stores a run-started
 * and a run-finished message (each JetStream-acknowledged, with a message id, one after the other);
 * a follower in a process of its own inserts every run message as a row of a SQLite file until all
 * 2N are committed. Not in it: an agent's local journal and outbox, the gates, the server's request,
 * dispatch and projections. Returns the milliseconds from the command's publish to the last commit.
 */
export const protocolFloor = async (
  connections: readonly NatsConnection[],
  n: number,
  site: ProtocolFloorSite,
  persist: (js: JetStreamClient, subject: string, body: string, msgID: string) => Promise<unknown>,
): Promise<number> => {
  const nc = connections[0] as NatsConnection;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: COMMANDS, subjects: ['bench.protocol.command'] });
  await jsm.streams.add({ name: RUNS, subjects: ['bench.protocol.run.>'] });
  const follower = startFollower([
    'fanin-floor',
    ...['--nats-url', site.natsUrl, '--creds', site.credsFile, '--stream', RUNS],
    ...['--file', join(site.dir, 'protocol-floor.sqlite'), '--events', String(2 * n)],
  ]);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  let failed: (error: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => {
    failed = reject;
  });
  // Checked once per signed message, not once per subscriber: the emulated agents of a process
  // remember what they verified (src/infra/signing/ed25519.ts), and every subscriber here is in this one process.
  const verified = new Map<string, boolean>();
  const verifies = (data: Uint8Array, signature: string) => {
    const key = `${signature}:${Buffer.from(data).toString('base64')}`;
    let ok = verified.get(key);
    if (ok === undefined) {
      ok = verify(null, data, publicKey, Buffer.from(signature, 'base64'));
      verified.set(key, ok);
    }
    return ok;
  };
  const run = async (js: JetStreamClient, i: number, data: Uint8Array, signature: string | undefined) => {
    if (signature === undefined || !verifies(data, signature))
      throw new Error(`agent ${i}: the command's signature does not verify`);
    await persist(js, `bench.protocol.run.${i}`, `{"type":"RunStarted","pc":${i}}`, `started-${i}`);
    await persist(js, `bench.protocol.run.${i}`, `{"type":"RunFinished","pc":${i},"exit_code":0}`, `finished-${i}`);
  };
  const subscriptions = Array.from({ length: n }, (_, i) => {
    const conn = connections[Math.floor(i / AGENTS_PER_CONNECTION)] as NatsConnection;
    const js = jetstream(conn);
    return conn.subscribe('bench.protocol.command', {
      callback: (error, m) => {
        if (error !== null) failed(error);
        else run(js, i, m.data, m.headers?.get('Kanade-Signature')).catch(failed);
      },
    });
  });
  try {
    await Promise.all(connections.map((c) => c.flush()));
    await follower.ready;
    const body = new TextEncoder().encode('{"exec_id":"protocol-floor","job":"bench","script":"echo ok"}');
    const h = headers();
    h.set('Kanade-Signature', sign(null, body, privateKey).toString('base64'));
    const t0 = performance.timeOrigin + performance.now();
    await jetstream(nc).publish('bench.protocol.command', body, { headers: h, msgID: 'protocol-floor' });
    const report = await Promise.race([follower.done, failure]);
    return (report.finishedAtMs as number) - t0;
  } finally {
    follower.done.catch(() => {}); // a failure of the floor is already on its way up
    follower.stop(); // gone already, unless the floor failed
    for (const s of subscriptions) s.unsubscribe();
    await jsm.streams.delete(COMMANDS);
    await jsm.streams.delete(RUNS);
  }
};

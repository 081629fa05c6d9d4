import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { jobDecider } from '../src/domain/jobs/index.ts';
import { commandHandlerFor, jetStreamEventStore } from '../src/infra/eventStore/index.ts';

/** What the append worker is asked: where the broker is, which job, how many commands. */
export type AppendSpec = { url: string; credsFile: string; jobId: string; commands: number };
/** What it measured: the first (cold) command and the cached ones, in ms. */
export type AppendResult = { coldMs: number; warmMs: number[] };

const handleJob = commandHandlerFor(jobDecider);

// Runs in a worker thread with its own connection, so the server reacting to each commit on the
// main thread (projections, the views writer) does not sit in the measured event loop.
const run = async (spec: AppendSpec): Promise<AppendResult> => {
  const nc = await connect({ servers: spec.url, authenticator: credsAuthenticator(readFileSync(spec.credsFile)) });
  const store = jetStreamEventStore(jetstream(nc), await jetstreamManager(nc));
  const command = (i: number) =>
    ({ type: i % 2 === 0 ? 'RevokeJob' : 'UnrevokeJob', data: { job_id: spec.jobId } }) as const;
  const commit = (i: number) => ({ id: `worker-${i}-${Math.random()}`, actor: 'bench', at: new Date().toISOString() });
  const stream = `job-${spec.jobId}`;
  let t = performance.now();
  await handleJob(store, stream, command(0), commit(0));
  const coldMs = performance.now() - t;
  const warmMs: number[] = [];
  for (let i = 1; i <= spec.commands; i++) {
    t = performance.now();
    await handleJob(store, stream, command(i), commit(i));
    warmMs.push(performance.now() - t);
  }
  await nc.drain();
  return { coldMs, warmMs };
};

if (parentPort !== null && workerData !== null) {
  const port = parentPort;
  run(workerData as AppendSpec).then(
    (result) => port.postMessage(result),
    (error: unknown) => port.postMessage({ error: String(error) }),
  );
}

import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { EVENTS_STREAM, eventsStreamConfig } from '../../src/infra/nats/streams.ts';
import { eventually } from '../../src/testing/agentProcess.ts';
import { shJob } from '../../src/testing/api.ts';
import { useTestServer } from '../../src/testing/server.ts';

// An operator (or an accident) deletes the event stream and it is created again, empty: the server
// must not go on serving tables built from the old history, nor write a new one beside them.
const sandbox = useTestServer();

type Health = { status: string; problem?: string; read_models: { state: string; stream_problem?: string } };
const health = async () => {
  const res = await fetch(`${sandbox.server.url}/health`);
  return { status: res.status, body: (await res.json()) as Health };
};
const recreateEventStream = async () => {
  const nc = await sandbox.nats.connect();
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(EVENTS_STREAM);
    await jsm.streams.add(eventsStreamConfig());
  } finally {
    await nc.close();
  }
};
const lastSeq = async () => {
  const nc = await sandbox.nats.connect();
  try {
    return (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).state.last_seq;
  } finally {
    await nc.close();
  }
};

describe('a stream deleted and created again', () => {
  it('turns /health red, refuses reads and writes, and is served again only after a rebuild on purpose', {
    timeout: 60_000,
  }, async () => {
    expect((await sandbox.server.api('POST', '/api/jobs', shJob('before', 'echo old'))).status).toBe(201);
    expect((await health()).status).toBe(200);

    await recreateEventStream();
    const red = await eventually(
      async () => {
        const h = await health();
        return h.status === 503 && h.body.read_models.state === 'mismatch' ? h.body : false;
      },
      20_000,
      'the server to notice the new stream',
    );
    expect(red.read_models.stream_problem).toMatch(
      /KANADE_EVENTS (was created at .* \(deleted and created again\?\)|no longer exists)/,
    );
    expect(red.problem).toMatch(/restore the stream, or rebuild on purpose/);

    const write = await sandbox.server.api('POST', '/api/jobs', shJob('after', 'echo new'));
    expect(write.status).toBe(503);
    expect(((await write.json()) as { type: string }).type).toBe('/problems/stream-mismatch');
    const read = await sandbox.server.api('GET', '/api/jobs');
    expect(read.status).toBe(503);
    expect(await lastSeq()).toBe(0); // nothing was appended to the new stream

    expect((await sandbox.server.api('POST', '/api/projections/rebuild')).status).toBe(202);
    await eventually(async () => (await health()).status === 200, 20_000, 'the rebuild from the new stream').catch(
      async (error: unknown) => {
        throw new Error(`${String(error)}: ${JSON.stringify((await health()).body)}`);
      },
    );
    const jobs = (await (await sandbox.server.api('GET', '/api/jobs')).json()) as { jobs: unknown[] };
    expect(jobs.jobs).toEqual([]); // the tables of the new history: empty
    expect((await sandbox.server.api('POST', '/api/jobs', shJob('after', 'echo new'))).status).toBe(201);
  });

  it('is noticed at start when it happened while the server was down', async () => {
    await sandbox.stopServer();
    await recreateEventStream();
    await sandbox.startServer();
    const h = await health();
    expect(h.status).toBe(503);
    expect(h.body.read_models).toMatchObject({
      state: 'mismatch',
      stream_problem: expect.stringMatching(/created again/),
    });
    expect((await sandbox.server.api('POST', '/api/jobs', shJob('again', 'echo x'))).status).toBe(503);
  });
});

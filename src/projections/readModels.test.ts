import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNats, type TestNats } from '../testing/nats.ts';
import { startTestServer, type TestServer } from '../testing/server.ts';
import { tableChecksums } from './checksum.ts';

let nats: TestNats;
let server: TestServer;

const job = (id: string, version: string, extra = '') =>
  `id: ${id}\nversion: "${version}"\nexecute:\n  shell: sh\n  script: echo ${id}\n  timeout: 30s\n${extra}`;

const checksumsOf = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return tableChecksums(db);
  } finally {
    db.close();
  }
};

const liveFile = (s: TestServer): string => s.readModels.status().file as string;

const waitLive = async (s: TestServer, notFile?: string) => {
  for (let i = 0; i < 200; i++) {
    const st = s.readModels.status();
    if (st.state === 'live' && st.file !== notFile && st.rebuild === undefined) return;
    await sleep(25);
  }
  throw new Error('read models did not become live');
};

const snapshot = async (s: TestServer, seq: number) => ({
  jobs: await (await s.api('GET', `/api/jobs?min_seq=${seq}`)).json(),
  events: await (await s.api('GET', `/api/events?after=0&limit=1000&min_seq=${seq}`)).json(),
});

let lastSeq = 0;

beforeAll(async () => {
  nats = await startTestNats();
  server = await startTestServer(nats);
  const history = [
    ['POST', '/api/jobs', `${job('a', '1')}---\n${job('b', '1')}---\n${job('c', '1', 'tags: [x]\n')}`],
    ['POST', '/api/jobs', `${job('a', '2')}`],
    ['POST', '/api/jobs/b/revoke', { reason: 'why not' }],
    ['DELETE', '/api/jobs/c', undefined],
    ['POST', '/api/jobs', `${job('c', '3')}`],
    ['POST', '/api/jobs/b/unrevoke', undefined],
    ['POST', '/api/jobs/a/revoke', undefined],
  ] as const;
  for (const [method, path, body] of history) {
    const res = await server.api(method, path, body);
    expect(res.status).toBeLessThan(300);
    lastSeq = Math.max(lastSeq, ((await res.json()) as { seq: number }).seq);
  }
  await server.readModels.waitFor(lastSeq, 5000);
});
afterAll(async () => {
  await server?.dispose();
  await nats?.dispose();
});

describe('read models', () => {
  it('rebuild blue/green into a new file with identical tables', async () => {
    const before = liveFile(server);
    const sums = checksumsOf(before);
    const res = await server.api('POST', '/api/projections/rebuild');
    expect(res.status).toBe(202);
    await waitLive(server, before);
    const after = liveFile(server);
    expect(after).not.toBe(before);
    expect(checksumsOf(after)).toEqual(sums);
    expect(Object.keys(sums)).toEqual(
      expect.arrayContaining(['jobs', 'event_log', 'projection_checkpoints', 'projection_errors']),
    );
  });

  it('come back the same after the SQLite files are deleted and the server restarts', async () => {
    const before = await snapshot(server, lastSeq);
    const sums = checksumsOf(liveFile(server));
    await server.close();
    rmSync(join(server.dataDir, 'readmodels'), { recursive: true, force: true });
    const restarted = await startTestServer(nats, { dataDir: server.dataDir });
    try {
      expect(await snapshot(restarted, lastSeq)).toEqual(before);
      await waitLive(restarted);
      expect(checksumsOf(liveFile(restarted))).toEqual(sums);
    } finally {
      await restarted.close();
    }
    server = await startTestServer(nats, { dataDir: server.dataDir });
  });

  it('keep following the stream after a restart over existing files', async () => {
    const res = await server.api('POST', '/api/jobs', job('d', '1'));
    const { seq } = (await res.json()) as { seq: number };
    const jobs = (await (await server.api('GET', `/api/jobs?min_seq=${seq}`)).json()) as { jobs: { id: string }[] };
    expect(jobs.jobs.map((j) => j.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('read models under failure', () => {
  it('record an unreadable commit and a projection failure, and keep going', async () => {
    const nc = await nats.connect();
    try {
      nc.publish('kanade.ev.job.garbage', 'not json');
      const noManifest = {
        id: 'x1',
        actor: 'mallory',
        at: '2026-11-22T00:00:00.000Z',
        events: [{ type: 'JobRegistered', schema: 1, data: { job_id: 'broken' } }],
      };
      nc.publish('kanade.ev.job.broken', JSON.stringify(noManifest));
      await nc.flush();
    } finally {
      await nc.drain();
    }
    const res = await server.api('POST', '/api/jobs', job('after', '1'));
    const { seq } = (await res.json()) as { seq: number };
    const jobs = (await (await server.api('GET', `/api/jobs?min_seq=${seq}`)).json()) as { jobs: { id: string }[] };
    expect(jobs.jobs.map((j) => j.id)).toContain('after');
    const unreadable = (await (await server.api('GET', '/api/events?type=$Unreadable')).json()) as {
      events: { summary: string }[];
    };
    expect(unreadable.events[0]?.summary).toMatch(/^unreadable commit on kanade\.ev\.job\.garbage: /);
    const status = server.readModels.status();
    expect(status.projections.find((p) => p.name === 'jobs')?.errors).toBe(1);
    expect(status.projections.find((p) => p.name === 'event_log')?.errors).toBe(0);
  });

  it('skip a commit whose rows cannot even be written, and apply the rest of its batch', async () => {
    const nc = await nats.connect();
    try {
      // A version that is an object: the jobs projection takes it, SQLite cannot bind it.
      const poison = {
        id: 'x2',
        actor: 'mallory',
        at: '2026-11-22T00:00:00.000Z',
        events: [
          {
            type: 'JobRegistered',
            schema: 1,
            data: { job_id: 'poison', version: { not: 'a string' }, manifest: { id: 'poison', execute: {} } },
          },
        ],
      };
      nc.publish('kanade.ev.job.poison', JSON.stringify(poison));
      await nc.flush();
    } finally {
      await nc.drain();
    }
    const res = await server.api('POST', '/api/jobs', job('after-poison', '1'));
    const { seq } = (await res.json()) as { seq: number };
    const jobs = (await (await server.api('GET', `/api/jobs?min_seq=${seq}`)).json()) as { jobs: { id: string }[] };
    expect(jobs.jobs.map((j) => j.id)).toContain('after-poison');
    expect(jobs.jobs.map((j) => j.id)).not.toContain('poison');
    const status = server.readModels.status();
    expect(status.skipped_events).toBe(1);
    expect(status.projections.every((p) => p.state === 'running')).toBe(true);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { read_models: { skipped_events: number } };
    expect(health.read_models.skipped_events).toBe(1);
  });

  it('survive a broker restart and follow what comes after', async () => {
    await nats.restart();
    let res: Response | undefined;
    for (let i = 0; i < 100 && (res === undefined || res.status >= 500); i++) {
      res = await server.api('POST', '/api/jobs', job('post-restart', '1'));
      if (res.status >= 500) await sleep(100);
    }
    const { seq } = (await (res as Response).json()) as { seq: number };
    const got = await server.api('GET', `/api/jobs/post-restart?min_seq=${seq}`);
    expect(got.status).toBe(200);
  });

  it('report NATS as down in /health while it is down', async () => {
    await nats.stop();
    try {
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { nats: { connected: boolean } }).nats.connected).toBe(false);
    } finally {
      await nats.restart();
    }
  });
});

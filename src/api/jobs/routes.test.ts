import { describe, expect, it } from 'vitest';
import { useTestServer } from '../../testing/server.ts';

const job = (id: string, version = '1.0.0', script = 'echo hi') =>
  `id: ${id}\nversion: "${version}"\nexecute:\n  shell: sh\n  script: ${script}\n  timeout: 30s\n`;

const sandbox = useTestServer();

const streamHead = async (): Promise<number> => {
  const health = (await (await fetch(`${sandbox.server.url}/health`)).json()) as { stream: { last_seq: number } };
  return health.stream.last_seq;
};
const json = async (res: Response) => ({
  status: res.status,
  type: res.headers.get('content-type'),
  body: (await res.json()) as any,
});

describe('POST /api/jobs', () => {
  it('creates every job of a YAML stream and answers per job', async () => {
    const res = await json(await sandbox.server.api('POST', '/api/jobs', `${job('alpha')}---\n${job('beta')}`));
    expect(res.status).toBe(201);
    expect(res.body.jobs).toEqual([
      { id: 'alpha', version: '1.0.0', status: 'created', seq: expect.any(Number) },
      { id: 'beta', version: '1.0.0', status: 'created', seq: expect.any(Number) },
    ]);
    const list = await json(await sandbox.server.api('GET', `/api/jobs?min_seq=${res.body.seq}`));
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toEqual(['alpha', 'beta']);
  });

  it('reports unchanged and appends nothing when the same manifests come again', async () => {
    const before = await streamHead();
    const res = await json(await sandbox.server.api('POST', '/api/jobs', `${job('alpha')}---\n${job('beta')}`));
    expect(res.status).toBe(200);
    expect(res.body.jobs.map((j: { status: string }) => j.status)).toEqual(['unchanged', 'unchanged']);
    expect(await streamHead()).toBe(before);
  });

  it('accepts JSON and updates a changed job', async () => {
    const manifest = { id: 'alpha', version: '1.1.0', execute: { shell: 'sh', script: 'echo v2', timeout: '1m' } };
    const res = await json(await sandbox.server.api('POST', '/api/jobs', manifest));
    expect(res.status).toBe(200);
    expect(res.body.jobs[0]).toMatchObject({
      id: 'alpha',
      version: '1.1.0',
      status: 'updated',
      changed: ['execute.script', 'execute.timeout', 'version'],
    });
  });

  it('answers broken YAML with problem+json naming line and column, and appends nothing', async () => {
    const before = await streamHead();
    const res = await json(await sandbox.server.api('POST', '/api/jobs', `${job('gamma')}  shell: [sh\n`));
    expect(res.status).toBe(422);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.issues[0]).toMatchObject({ document: 0, line: expect.any(Number), column: expect.any(Number) });
    expect(await streamHead()).toBe(before);
  });

  it('rejects the whole request when one manifest has an unknown key', async () => {
    const before = await streamHead();
    const res = await json(
      await sandbox.server.api('POST', '/api/jobs', `${job('gamma')}---\n${job('delta')}colour: blue\n`),
    );
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([{ document: 1, path: 'colour', message: 'unknown key', line: 14, column: 1 }]);
    expect(await streamHead()).toBe(before);
  });

  it('refuses a script change without a version bump, for every job of the request', async () => {
    const before = await streamHead();
    const res = await json(
      await sandbox.server.api('POST', '/api/jobs', `${job('gamma')}---\n${job('beta', '1.0.0', 'echo changed')}`),
    );
    expect(res.status).toBe(409);
    expect(res.body.type).toBe('/problems/version-not-bumped');
    expect(res.body.issues).toEqual([
      { document: 1, path: 'execute.script', message: 'changed without a version bump (beta)' },
    ]);
    expect(await streamHead()).toBe(before);
  });

  it('plans without appending in a dry run', async () => {
    const before = await streamHead();
    const res = await json(
      await sandbox.server.api('POST', '/api/jobs?dry_run=true', `${job('gamma')}---\n${job('beta', '2.0.0')}`),
    );
    expect(res.body.jobs.map((j: { status: string }) => j.status)).toEqual(['created', 'updated']);
    expect(await streamHead()).toBe(before);
  });

  it('deletes jobs missing from the request when pruning', async () => {
    await sandbox.server.api('POST', '/api/jobs', job('doomed'));
    const res = await json(
      await sandbox.server.api('POST', '/api/jobs?prune=true', `${job('alpha', '1.2.0')}---\n${job('beta')}`),
    );
    expect(res.body.jobs).toContainEqual({
      id: 'doomed',
      version: '1.0.0',
      status: 'deleted',
      seq: expect.any(Number),
    });
    const list = await json(await sandbox.server.api('GET', `/api/jobs?min_seq=${res.body.seq}`));
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toEqual(['alpha', 'beta']);
  });

  it('refuses to prune with no manifests at all', async () => {
    const before = await streamHead();
    const res = await json(await sandbox.server.api('POST', '/api/jobs?prune=true', []));
    expect(res.status).toBe(422);
    expect(res.body.type).toBe('/problems/empty-prune');
    expect(await streamHead()).toBe(before);
  });

  it('says which media types it takes', async () => {
    const res = await json(await sandbox.server.api('POST', '/api/jobs', undefined, { 'Content-Type': 'text/plain' }));
    expect(res.status).toBe(415);
    expect(res.type).toBe('application/problem+json');
  });
});

describe('hostile bodies', () => {
  const post = async (body: string, type: string, path = '/api/jobs') =>
    json(
      await fetch(`${sandbox.server.url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${sandbox.server.token}`, 'Content-Type': type },
        body,
      }),
    );
  const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
    .concat('bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`))
    .join('\n');

  it('are refused with 4xx problem documents that say where, appending nothing', async () => {
    const before = await streamHead();
    const cases: [string, string, RegExp][] = [
      [laughs, 'application/yaml', /aliases expand to too many values/],
      ['id: x\nversion: *nowhere\n', 'application/yaml', /alias/i],
      [`x: ${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'application/yaml', /nested deeper than 64 levels/],
      [`${'- '.repeat(100_000)}x`, 'application/yaml', /nested too deeply/],
      [`{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'application/json', /nested deeper than 64 levels/],
    ];
    for (const [body, type, message] of cases) {
      const res = await post(body, type);
      expect(res.status, body.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body.issues[0]).toMatchObject({ message: expect.stringMatching(message), line: expect.any(Number) });
    }
    const exec = await post(
      `{"target": ${'['.repeat(1000)}${']'.repeat(1000)}}`,
      'application/json',
      '/api/exec/alpha',
    );
    expect(exec).toMatchObject({ status: 422, body: { type: '/problems/input-limits' } });
    expect(await streamHead()).toBe(before);
    expect((await fetch(`${sandbox.server.url}/health`)).status).toBe(200);
  });
});

describe('POST /api/exec with no agent in the target', () => {
  it('refuses a target nobody online is in, and a group nobody is in, appending nothing', async () => {
    await sandbox.server.api('POST', '/api/jobs', job('lonely'));
    const before = await streamHead();
    const all = await json(await sandbox.server.api('POST', '/api/exec/lonely', { target: { all: true } }));
    expect(all).toMatchObject({ status: 422, type: expect.stringMatching(/^application\/problem\+json/) });
    expect(all.body).toMatchObject({
      type: '/problems/target-offline',
      title: expect.stringMatching(/no online agent/),
    });
    const group = await json(await sandbox.server.api('POST', '/api/exec/lonely', { target: { groups: ['lab'] } }));
    expect(group.body).toMatchObject({
      type: '/problems/unknown-group',
      issues: [{ path: 'target.groups[0]', message: 'no approved agent is in group lab' }],
    });
    expect(await streamHead()).toBe(before);
  });
});

describe('a job', () => {
  it('is revoked with a reason and the actor recorded, then unrevoked', async () => {
    const revoke = await json(
      await sandbox.server.api(
        'POST',
        '/api/jobs/beta/revoke',
        { reason: 'bad rollout' },
        { 'X-Kanade-Source': 'cli' },
      ),
    );
    expect(revoke.body).toMatchObject({ id: 'beta', status: 'revoked' });
    const again = await json(await sandbox.server.api('POST', '/api/jobs/beta/revoke', {}));
    expect(again.body.status).toBe('unchanged');
    const got = await json(await sandbox.server.api('GET', `/api/jobs/beta?min_seq=${revoke.body.seq}`));
    expect(got.body).toMatchObject({ revoked: true, revoke_reason: 'bad rollout', revoked_by: 'tester' });
    const unrevoke = await json(await sandbox.server.api('POST', '/api/jobs/beta/unrevoke'));
    expect(unrevoke.body.status).toBe('unrevoked');
  });

  it('comes back as YAML when asked', async () => {
    const res = await sandbox.server.api('GET', '/api/jobs/beta', undefined, { Accept: 'application/yaml' });
    expect(res.headers.get('content-type')).toMatch(/application\/yaml/);
    expect(await res.text()).toMatch(/^id: beta\nversion: 1\.0\.0\n/);
  });

  it('is deleted, then not found', async () => {
    const del = await json(await sandbox.server.api('DELETE', '/api/jobs/beta'));
    expect(del.body).toMatchObject({ id: 'beta', status: 'deleted' });
    const got = await json(await sandbox.server.api('GET', `/api/jobs/beta?min_seq=${del.body.seq}`));
    expect(got.status).toBe(404);
    expect(got.type).toBe('application/problem+json');
    expect((await json(await sandbox.server.api('DELETE', '/api/jobs/beta'))).status).toBe(404);
  });
});

describe('the audit log', () => {
  it('lists events newest last with actor, channel and summary', async () => {
    const res = await json(await sandbox.server.api('GET', '/api/events?type=JobRevoked'));
    expect(res.body.events).toEqual([
      expect.objectContaining({
        type: 'JobRevoked',
        actor: 'tester',
        via: 'cli',
        stream: 'job-beta',
        summary: 'revoked job beta 1.0.0: bad rollout',
      }),
    ]);
    const all = await json(await sandbox.server.api('GET', '/api/events?limit=3'));
    const seqs = all.body.events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.at(-1)).toBe(await streamHead());
  });

  it('returns a whole commit from the stream', async () => {
    const [first] = (await json(await sandbox.server.api('GET', '/api/events?after=0&type=JobRegistered&limit=1'))).body
      .events;
    const res = await json(await sandbox.server.api('GET', `/api/events/${first.seq}`));
    expect(res.body.events[0]).toMatchObject({ type: 'JobRegistered', data: { job_id: 'alpha' }, actor: 'tester' });
  });
});

describe('the API edge', () => {
  it('needs a token', async () => {
    const res = await json(await fetch(`${sandbox.server.url}/api/jobs`));
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
    const wrong = await fetch(`${sandbox.server.url}/api/jobs`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('answers 503 when min_seq is not reached in time', async () => {
    const res = await json(await sandbox.server.api('GET', `/api/jobs?min_seq=${(await streamHead()) + 1000}`));
    expect(res.status).toBe(503);
    expect(res.body.type).toBe('/problems/read-models-behind');
  });

  it('waits for everything written so far with min_seq=latest', async () => {
    const { seq } = (await (await sandbox.server.api('POST', '/api/jobs/alpha/revoke', {})).json()) as { seq: number };
    const res = await sandbox.server.api('GET', '/api/jobs/alpha?min_seq=latest');
    expect(Number(res.headers.get('kanade-seq'))).toBeGreaterThanOrEqual(seq);
    expect(((await res.json()) as { revoked: boolean }).revoked).toBe(true);
  });

  it('refuses a bearer header that is not exactly "Bearer <token>"', async () => {
    for (const header of [
      'Bearer',
      'Bearer \u00a0',
      `Bearer  ${sandbox.server.token} x`,
      `Basic ${sandbox.server.token}`,
    ]) {
      const res = await fetch(`${sandbox.server.url}/api/jobs`, { headers: { Authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });

  it('refuses min_seq values that are not plain integers', async () => {
    for (const bad of ['1e3', '-1', 'abc', '0x10']) {
      const res = await json(await sandbox.server.api('GET', `/api/jobs?min_seq=${bad}`));
      expect(res.status, bad).toBe(400);
    }
  });

  it('moves the audit cursor past events a filter does not match', async () => {
    const res = await json(await sandbox.server.api('GET', '/api/events?type=NoSuchEvent&after=0'));
    expect(res.body.events).toEqual([]);
    expect(res.body.next_after).toBe(await streamHead());
  });

  it('limits the size of small JSON bodies', async () => {
    const res = await json(await sandbox.server.api('POST', '/api/jobs/alpha/revoke', { reason: 'x'.repeat(100_000) }));
    expect(res.status).toBe(413);
    expect(res.type).toBe('application/problem+json');
  });

  it('reports health without a token', async () => {
    const res = await json(await fetch(`${sandbox.server.url}/health`));
    expect(res.status).toBe(200);
    const projections = res.body.projections as { name: string; lag: number }[];
    expect(projections.map((p) => p.name)).toEqual(expect.arrayContaining(['jobs', 'event_log', 'agent_heartbeats']));
    for (const p of projections) expect(p.lag, p.name).toBe(0);
  });
});

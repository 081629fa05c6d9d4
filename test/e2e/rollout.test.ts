import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, shJob } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { rebuildChecksums } from '../../src/testing/rebuild.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-rollout-'));
const agents: AgentProcess[] = [];

type Wave = {
  wave: number;
  group: string;
  status: string;
  due_at: string;
  dispatched_at: string | null;
  halted_reason: string | null;
  target_count: number;
  succeeded: number;
  failed: number;
  done: number;
};
type Execution = {
  exec_id: string;
  status: string;
  target_count: number;
  succeeded: number;
  failed: number;
  running: number;
  halted_reason: string | null;
  waves: Wave[];
  results: { pc_id: string; outcome: string | null; finished_at: string | null }[];
};

const rollout = (job: string, waves: { group: string; delay: string }[], gate?: object) =>
  api<{ exec_id: string; target_count: number }>('POST', `/api/exec/${job}`, {
    rollout: { strategy: 'wave', waves, ...(gate === undefined ? {} : { gate }) },
  });
const execution = (id: string) => api<Execution>('GET', `/api/executions/${id}`);
const until = (id: string, what: string, check: (e: Execution) => boolean, timeoutMs = 30_000) =>
  eventually(
    async () => {
      const e = await execution(id);
      return check(e) ? e : false;
    },
    timeoutMs,
    `exec ${id}: ${what}`,
  );
const eventCount = async () => (await api<{ events: unknown[] }>('GET', '/api/events?limit=1000')).events.length;

beforeAll(async () => {
  const groups: Record<string, string[]> = { 'pc-c': ['canary'], 'pc-w1': ['wave1'], 'pc-w2': ['wave1'] };
  for (const [id, g] of Object.entries(groups))
    agents.push(startAgentProcess({ id, groups: g, sandbox, dataDir: join(dir, id) }));
  await api('POST', '/api/jobs', `${shJob('hello', 'echo hello')}---\n${shJob('broken', '"echo no >&2; exit 3"')}`);
  await agentsOnline(sandbox, 3);
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('rollouts in waves', () => {
  it('dispatches a wave due after a server restart on time', async () => {
    const { exec_id, target_count } = await rollout('hello', [
      { group: 'canary', delay: '0s' },
      { group: 'wave1', delay: '12s' },
    ]);
    expect(target_count).toBe(3);
    const first = await until(exec_id, 'the canary to finish', (e) => e.waves[0]?.done === 1);
    expect(first.waves[1]).toMatchObject({ status: 'scheduled', dispatched_at: null, done: 0 });
    expect(first.results.map((r) => r.pc_id)).toEqual(['pc-c']);

    await sandbox.stopServer();
    await sandbox.startServer();

    const done = await until(exec_id, 'completion', (e) => e.status === 'completed', 40_000);
    const wave = done.waves[1] as Wave;
    const late = Date.parse(wave.dispatched_at ?? '') - Date.parse(wave.due_at);
    expect(late).toBeGreaterThanOrEqual(0); // never early
    expect(late).toBeLessThan(5_000); // and on time: the restarted server woke up for it
    expect(done).toMatchObject({ succeeded: 3, failed: 0 });
    for (const r of done.results.filter((r) => r.pc_id !== 'pc-c'))
      expect(Date.parse(r.finished_at ?? '')).toBeGreaterThanOrEqual(Date.parse(wave.due_at));
  }, 90_000);

  it('halts when the first wave breaks the gate; the second never runs until resumed', async () => {
    const { exec_id } = await rollout(
      'broken',
      [
        { group: 'canary', delay: '0s' },
        { group: 'wave1', delay: '2s' },
      ],
      { max_failure_ratio: 0 },
    );
    const halted = await until(exec_id, 'the halt', (e) => e.status === 'halted');
    expect(halted.halted_reason).toBe('wave 0 failed on 1 of 1 PCs (1 > max_failure_ratio 0)');
    expect(halted.waves[1]).toMatchObject({ status: 'halted', dispatched_at: null });
    expect(halted.results.map((r) => r.pc_id)).toEqual(['pc-c']);

    const resumed = await api<{ status: string }>('POST', `/api/executions/${exec_id}/resume`, {});
    expect(resumed.status).toBe('resumed');
    const done = await until(exec_id, 'completion', (e) => e.status === 'completed');
    expect(done).toMatchObject({ failed: 3, target_count: 3 });
    expect(done.waves[1]).toMatchObject({ status: 'dispatched', gate_waived: true });
  }, 60_000);

  it('aborts a halted rollout for good', async () => {
    const { exec_id } = await rollout(
      'broken',
      [
        { group: 'canary', delay: '0s' },
        { group: 'wave1', delay: '1s' },
      ],
      { min_success: 1 },
    );
    await until(exec_id, 'the halt', (e) => e.status === 'halted');
    const again = await sandbox.server.api('POST', `/api/executions/${exec_id}/abort`, { reason: 'bad build' });
    expect(again.status).toBe(200);
    const aborted = await until(exec_id, 'the abort', (e) => e.status === 'aborted');
    expect(aborted.waves.map((w) => w.status)).toEqual(['dispatched', 'cancelled']);
    const resume = await sandbox.server.api('POST', `/api/executions/${exec_id}/resume`, {});
    expect(resume.status).toBe(409);
    expect(await resume.json()).toMatchObject({ title: `exec ${exec_id} is not halted` });
    expect((await execution(exec_id)).results).toHaveLength(1);
  }, 60_000);

  it('rejects a bad rollout with every problem and appends nothing', async () => {
    const before = await eventCount();
    const res = await sandbox.server.api('POST', '/api/exec/hello', {
      rollout: {
        strategy: 'canary',
        waves: [
          { group: 'wave1', delay: '10m' },
          { group: 'canary', delay: '1m' },
        ],
        gate: { max_failure_ratio: 2 },
      },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues).toEqual(
      expect.arrayContaining([
        { path: 'rollout.strategy', message: expect.stringMatching(/wave/) },
        { path: 'rollout.waves', message: expect.stringMatching(/must not decrease/) },
        { path: 'rollout.gate.max_failure_ratio', message: 'must be between 0 and 1' },
      ]),
    );
    const empty = await sandbox.server.api('POST', '/api/exec/hello', {});
    expect(empty.status).toBe(422);
    const issuesOf = async (rollout: object) => {
      const res = await sandbox.server.api('POST', '/api/exec/hello', { rollout });
      expect(res.status).toBe(422);
      return ((await res.json()) as { issues: { path: string; message: string }[] }).issues;
    };
    // Rollouts that could only halt: no time to judge, a gate no wave can pass, nobody to run on.
    expect(
      await issuesOf({ waves: [{ group: 'canary' }, { group: 'wave1' }], gate: { max_failure_ratio: 0.1 } }),
    ).toEqual([{ path: 'rollout.waves', message: expect.stringMatching(/longer delay/) }]);
    expect(
      await issuesOf({ waves: [{ group: 'canary' }, { group: 'wave1', delay: '1m' }], gate: { min_success: 2 } }),
    ).toEqual([{ path: 'rollout.gate.min_success', message: expect.stringMatching(/wave 0 \(canary\) has 1 PC/) }]);
    // A group no approved agent is in is refused by name, with the nearest known group.
    expect(await issuesOf({ waves: [{ group: 'nobody-here' }] })).toEqual([
      { path: 'rollout.waves[0].group', message: 'no approved agent is in group nobody-here' },
    ]);
    expect(await issuesOf({ waves: [{ group: 'canary' }, { group: 'wave2', delay: '1m' }] })).toEqual([
      { path: 'rollout.waves[1].group', message: 'no approved agent is in group wave2 (did you mean wave1?)' },
    ]);
    expect(await eventCount()).toBe(before);
  });

  it('runs from the CLI: kanade exec --wave … --wait, exit 1 with the reason when the rollout halts', async () => {
    const env = { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: sandbox.server.token };
    const ok = await runKanade(['exec', 'hello', '--wave', 'canary:0s', '--wave', 'wave1:1s', '--wait'], env);
    expect(ok).toMatchObject({
      code: 0,
      err: expect.stringMatching(/3\/3 done, 3 succeeded.*wave 2\/2 \(completed\)/),
    });
    const bad = await runKanade(
      ['exec', 'broken', '--wave', 'canary', '--wave', 'wave1:1s', '--max-failure-ratio', '0.5', '--wait'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/rollout halted: wave 0 failed on 1 of 1 PCs .*kanade executions resume\|abort/);
    const usage = await runKanade(['exec', 'hello', '--all', '--max-failure-ratio', '0.1'], env);
    expect(usage).toMatchObject({ code: 2, err: expect.stringMatching(/--wave group:delay/) });
  }, 60_000);

  it('rebuilds executions, waves and results to identical tables', async () => {
    const { before, after } = await rebuildChecksums(sandbox, ['executions', 'exec_waves', 'exec_targets', 'results']);
    expect(before.exec_waves).toBeDefined();
    expect(after).toEqual(before);
  });
});

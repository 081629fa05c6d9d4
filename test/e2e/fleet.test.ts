import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDurableMap } from '../../src/agent/durableMap.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { rebuildChecksums } from '../../src/testing/rebuild.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const dir = mkdtempSync(join(tmpdir(), 'kanade-fleet-'));
const marker = join(dir, 'runs.log');
const sleeper = 600 + Math.floor(Math.random() * 1000); // a sleep duration nobody else uses, to find it with pgrep
const agents: Record<string, AgentProcess> = {};

type Result = {
  result_id: string;
  exec_id: string;
  pc_id: string;
  exit_code: number | null;
  outcome: string | null;
  reason: string | null;
  stdout: string;
  stderr: string;
};
type Execution = {
  exec_id: string;
  status: string;
  target_count: number;
  succeeded: number;
  failed: number;
  skipped: number;
  running: number;
  results: Result[];
};

const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await sandbox.server.api(method, path, body);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const exec = (job: string, target: object, extra: object = {}) =>
  api<{ exec_id: string; target_count: number }>('POST', `/api/exec/${job}`, { target, ...extra });
const execution = (id: string) => api<Execution>('GET', `/api/executions/${id}`);
const finished = (id: string) =>
  eventually(
    async () => {
      const e = await execution(id);
      return e.status === 'completed' || (e.status === 'killed' && e.running === 0) ? e : false;
    },
    30_000,
    `exec ${id} to finish`,
  );
const alive = (pattern: string) => {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().trim() !== '';
  } catch {
    return false;
  }
};
// Runs `count` on pc-c, started after the exec; restarts pc-c (after `meanwhile`, while it is down)
// and says how many times the command ran by the time a second run would have started.
const ranAcrossRestart = async (meanwhile: () => void = () => {}) => {
  await agents['pc-c']?.stop();
  const { exec_id } = await exec('count', { pcs: ['pc-c'] });
  agents['pc-c'] = await (agents['pc-c'] as AgentProcess).restart();
  expect((await finished(exec_id)).succeeded).toBe(1);
  await agents['pc-c']?.stop();
  meanwhile();
  agents['pc-c'] = await (agents['pc-c'] as AgentProcess).restart();
  await eventually(
    async () => (await api<{ total: number }>('GET', '/api/agents?status=online')).total === 3,
    20_000,
    'pc-c back online',
  );
  await sleep(1_500); // time for a second run to start
  const runs = readFileSync(marker, 'utf8')
    .split('\n')
    .filter((l) => l === exec_id).length;
  return { exec_id, runs };
};
const job = (id: string, script: string, extra = '') =>
  `id: ${id}\nversion: "1"\nexecute:\n  shell: sh\n  script: |\n    ${script}\n  timeout: 30s\n${extra}`;

beforeAll(async () => {
  for (const [id, groups] of [
    ['pc-a', ['canary']],
    ['pc-b', ['wave1']],
    ['pc-c', ['wave1']],
  ] as const) {
    agents[id] = startAgentProcess({ id, groups: [...groups], sandbox, dataDir: join(dir, id) });
  }
  const catalog = [
    job('hello', 'echo "hello from $KANADE_JOB_ID on $(hostname)"'),
    job('hang', `sh -c 'sleep ${sleeper} & sleep ${sleeper}'`),
    job('slow', 'sleep 20').replace('timeout: 30s', 'timeout: 1s'),
    job('count', `echo "$KANADE_EXEC_ID" >> ${marker}; sleep 2`),
    job('big', "head -c 300000 /dev/zero | tr '\\\\0' x"),
  ].join('---\n');
  await api('POST', '/api/jobs', catalog);
  await agentsOnline(sandbox, 3);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(agents).map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('exec', () => {
  it('runs a job on every agent and shows each stdout', async () => {
    const { exec_id, target_count } = await exec('hello', { all: true });
    expect(target_count).toBe(3);
    const e = await finished(exec_id);
    expect(e).toMatchObject({ status: 'completed', succeeded: 3, failed: 0, skipped: 0, running: 0 });
    expect(e.results.map((r) => r.pc_id)).toEqual(['pc-a', 'pc-b', 'pc-c']);
    for (const r of e.results) expect(r.stdout).toMatch(/^hello from hello on /);
    const listed = await api<{ results: Result[] }>('GET', `/api/results?exec_id=${exec_id}&status=success`);
    expect(listed.results).toHaveLength(3);
  });

  it('runs on the members of a group only, and on one named PC', async () => {
    const group = await exec('hello', { groups: ['wave1'] });
    expect(group.target_count).toBe(2);
    expect((await finished(group.exec_id)).results.map((r) => r.pc_id)).toEqual(['pc-b', 'pc-c']);
    const one = await exec('hello', { pcs: ['pc-a'] });
    expect((await finished(one.exec_id)).results.map((r) => r.pc_id)).toEqual(['pc-a']);
  });

  it('kills a running job with its whole process tree', async () => {
    const { exec_id } = await exec('hang', { pcs: ['pc-b'] });
    await eventually(async () => (await execution(exec_id)).running === 1, 15_000, 'the hang job to start');
    await eventually(async () => alive(`sleep ${sleeper}`), 5_000, 'the grandchild to exist');
    await api('POST', `/api/executions/${exec_id}/kill`, { reason: 'e2e' });
    const e = await finished(exec_id);
    expect(e.status).toBe('killed');
    expect(e.results[0]).toMatchObject({ outcome: 'killed', exit_code: -1 });
    await eventually(async () => !alive(`sleep ${sleeper}`), 5_000, 'the grandchild to be gone');
  });

  it('times a job out', async () => {
    const e = await finished((await exec('slow', { pcs: ['pc-a'] })).exec_id);
    expect(e.results[0]).toMatchObject({ outcome: 'timed_out', exit_code: -1 });
    expect(e.results[0]?.stderr).toContain('timeout after 1s');
  });

  it('skips a revoked job with 126', async () => {
    await api('POST', '/api/jobs/hello/revoke', { reason: 'e2e' });
    try {
      const e = await finished((await exec('hello', { pcs: ['pc-c'] })).exec_id);
      expect(e).toMatchObject({ skipped: 1, status: 'completed' });
      expect(e.results[0]).toMatchObject({
        outcome: 'skipped',
        exit_code: 126,
        reason: 'skipped: job hello is revoked',
      });
    } finally {
      await api('POST', '/api/jobs/hello/unrevoke');
    }
  });

  it('keeps output over 256 KiB whole, through the output stream; lists carry only previews', async () => {
    const e = await finished((await exec('big', { pcs: ['pc-a'] })).exec_id);
    const full = await api<Result>('GET', `/api/results/${e.results[0]?.result_id}`);
    expect(full.stdout).toHaveLength(300_000);
    const preview = { stdout: full.stdout.slice(0, 2048), stdout_bytes: 300_000, truncated: true };
    expect(e.results[0]).toMatchObject(preview);
    const listed = await api<{ results: Result[] }>('GET', `/api/results?exec_id=${e.exec_id}`);
    expect(listed.results[0]).toMatchObject(preview);
    const agent = await api<{ recent_results: Result[] }>('GET', '/api/agents/pc-a');
    expect(agent.recent_results.find((r) => r.exec_id === e.exec_id)).toMatchObject(preview);
    const res = await sandbox.server.api('GET', '/api/results?limit=1000');
    expect(Number(res.headers.get('content-length') ?? (await res.clone().text()).length)).toBeLessThan(1000 * 6000);
  });
});

describe('agents that come and go', () => {
  it('skip with 125 a command whose starting deadline passed while the agent was down', async () => {
    await agents['pc-c']?.stop();
    const { exec_id } = await exec('hello', { pcs: ['pc-c'] }, { starting_deadline: '1s' });
    await sleep(2_000);
    agents['pc-c'] = await (agents['pc-c'] as AgentProcess).restart();
    const e = await finished(exec_id);
    expect(e.results[0]).toMatchObject({ outcome: 'skipped', exit_code: 125 });
  });

  it('run a command once when the agent starts after the exec, and not again after a restart', async () => {
    const { runs } = await ranAcrossRestart();
    expect(runs).toBe(1);
  });

  it('run a command once even when the agent lost its journals: the event log already holds the run', async () => {
    // What a restored backup or a wiped disk leaves: the catch-up hands the agent the command again.
    const { exec_id, runs } = await ranAcrossRestart(() => {
      rmSync(join(dir, 'pc-c', 'dedup.log'));
      rmSync(join(dir, 'pc-c', 'journal'), { recursive: true });
    });
    expect(runs).toBe(1);
    const e = await execution(exec_id);
    expect(e.results).toHaveLength(1);
    expect(e.succeeded).toBe(1);
  });

  it('report the real exit status of a job that finished while its agent was dead, and lost only one that had not', async () => {
    await api(
      'POST',
      '/api/jobs',
      `${job('finisher', 'sleep 2; exit 7')}---\n${job('lingers', `sleep ${sleeper + 1}`)}`,
    );
    const crash = async (jobId: string) => {
      const { exec_id } = await exec(jobId, { pcs: ['pc-c'] });
      await eventually(async () => (await execution(exec_id)).running === 1, 15_000, `${jobId} to start`);
      const pc = agents['pc-c'] as AgentProcess;
      const gone = new Promise((done) => pc.process.once('exit', done));
      pc.process.kill('SIGKILL');
      await gone;
      return exec_id;
    };
    const finishedMeanwhile = await crash('finisher');
    await sleep(3_000); // the script ends while its agent is dead; its wrapper records the status
    agents['pc-c'] = await (agents['pc-c'] as AgentProcess).restart();
    expect((await finished(finishedMeanwhile)).results[0]).toMatchObject({
      outcome: 'failed',
      exit_code: 7,
      reason: expect.stringMatching(/finished meanwhile and its exit status was recorded/),
    });
    const stillRunning = await crash('lingers');
    agents['pc-c'] = await (agents['pc-c'] as AgentProcess).restart();
    expect((await finished(stillRunning)).results[0]).toMatchObject({ outcome: 'lost', exit_code: -1 });
    expect(alive(`sleep ${sleeper + 1}`), (agents['pc-c'] as AgentProcess).output()).toBe(false); // killed at the restart
  });

  it('deliver the result of a job that was running while the broker restarted', async () => {
    const { exec_id } = await exec('count', { pcs: ['pc-b'] });
    await eventually(async () => (await execution(exec_id)).running === 1, 15_000, 'the job to start');
    await sandbox.nats.restart();
    const e = await finished(exec_id);
    expect(e).toMatchObject({ succeeded: 1, status: 'completed' });
  });
});

describe('the outbox', () => {
  it('keeps a result produced while the broker is down on disk, and delivers it when the broker is back', async () => {
    const { exec_id } = await exec('count', { pcs: ['pc-a'] });
    await eventually(async () => (await execution(exec_id)).running === 1, 15_000, 'the job to start');
    await sandbox.nats.stop();
    const outbox = join(dir, 'pc-a', 'outbox', 'outbox.log');
    await eventually(async () => readDurableMap(outbox).size > 0, 10_000, 'the result to wait in the outbox');
    await sandbox.nats.restart();
    const e = await finished(exec_id);
    expect(e).toMatchObject({ succeeded: 1, status: 'completed' });
    await eventually(async () => readDurableMap(outbox).size === 0, 10_000, 'the outbox to empty');
  });
});

describe('operators', () => {
  const kanade = (args: string[]) =>
    runKanade(args, {
      KANADE_API_URL: sandbox.server.url,
      KANADE_TOKEN: sandbox.server.token,
      KANADE_DATA_DIR: sandbox.server.dataDir,
    });

  it('move an agent to another group, and it follows live', async () => {
    const set = await kanade(['agents', 'groups', 'set', 'pc-a', 'wave2']);
    expect(set.out).toMatch(/^updated pc-a: wave2/);
    const e = await finished((await exec('hello', { groups: ['wave2'] })).exec_id);
    expect(e.results.map((r) => [r.pc_id, r.outcome])).toEqual([['pc-a', 'succeeded']]);
    const listed = await kanade(['agents', 'list', '--group', 'wave2', '--json']);
    expect((JSON.parse(listed.out) as { agents: { pc_id: string }[] }).agents.map((a) => a.pc_id)).toEqual(['pc-a']);
  });

  it('ping an agent', async () => {
    const res = await kanade(['ping', 'pc-b']);
    expect(res).toMatchObject({ code: 0, out: expect.stringMatching(/^pc-b answered in \d+ ms/) });
    expect((await kanade(['ping', 'nobody'])).code).toBe(1);
  });

  it('run an ad-hoc script and exit with its exit code, output as written', async () => {
    const res = await kanade(['run', 'pc-b', '--', 'echo out; echo err >&2; exit 3']);
    expect(res).toEqual({ code: 3, out: 'out\n', err: 'err\n' });
  });

  it('exec with --wait and see failures listed, exit 1', async () => {
    await api('POST', '/api/jobs', job('flaky', 'test "$(hostname)" = never'));
    const res = await kanade(['exec', 'flaky', '--pcs', 'pc-b,pc-c', '--wait']);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/2\/2 done, 0 succeeded, 2 failed/);
    expect(res.out).toMatch(/pc-b\s+failed\s+1/);
  });

  it('list results with their ids and outcome words, and show one with its output', async () => {
    const e = await finished((await exec('hello', { pcs: ['pc-b'] })).exec_id);
    const resultId = e.results[0]?.result_id ?? '';
    const listed = await kanade(['results', 'list', '--exec', e.exec_id]);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(
      new RegExp(`^RESULT\\s+PC\\s+JOB\\s+OUTCOME[^\\n]*\\n${resultId}\\s+pc-b\\s+hello\\s+succeeded\\s+0`),
    );
    const killed = await kanade(['results', 'list', '--status', 'killed', '--json']);
    const outcomes = (JSON.parse(killed.out) as { results: Result[] }).results.map((r) => r.outcome);
    expect(outcomes.length).toBeGreaterThan(0); // the job killed above
    expect(new Set(outcomes)).toEqual(new Set(['killed']));
    const one = await kanade(['results', 'get', resultId]);
    expect(one).toMatchObject({ code: 0, err: '' });
    expect(one.out).toMatch(/^result \S+: hello 1 on pc-b/);
    expect(one.out).toMatch(/outcome succeeded, exit 0\n/);
    expect(one.out).toMatch(/--- stdout\nhello from hello on \S+\n--- stderr\n$/);
    expect((await kanade(['results', 'get', 'no-such-result'])).code).toBe(2);
    expect(await kanade(['results', 'list', '--status', 'kiled'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/status must be one of .*\(did you mean killed\?\)/),
    });
  });

  it('refuse groups no agent is in, suggesting the nearest group (exit 2), appending nothing', async () => {
    // (pc-a was moved to wave2 above: the groups are wave1 and wave2)
    const typo = await kanade(['exec', 'hello', '--groups', 'wave1,wvae2', '--wait']);
    expect(typo).toMatchObject({ code: 2, out: '' });
    expect(typo.err).toContain('target.groups[1]: no approved agent is in group wvae2 (did you mean wave2?)');
    const none = await kanade(['exec', 'hello', '--groups', 'nosuchgroup', '--wait']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('no approved agent is in group nosuchgroup');
    expect(none.err).not.toMatch(/done/);
    const waves = await kanade(['exec', 'hello', '--wave', 'wave2', '--wave', 'wavee1:1m']);
    expect(waves.err).toContain('rollout.waves[1].group: no approved agent is in group wavee1 (did you mean wave1?)');
    const listed = await api<{ executions: { target: { groups?: string[] } }[] }>('GET', '/api/executions?limit=100');
    expect(listed.executions.filter((e) => (e.target.groups ?? []).includes('wvae2'))).toEqual([]);
  });

  it('refuse a target naming an unknown pc, appending nothing', async () => {
    const res = await sandbox.server.api('POST', '/api/exec/hello', { target: { pcs: ['pc-a', 'ghost'] } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { issues: unknown[] }).issues).toEqual([
      { path: 'target.pcs', message: 'no approved agent ghost' },
    ]);
  });
});

describe('read models', () => {
  it('rebuild agents, executions and results to identical tables', async () => {
    const { before, after } = await rebuildChecksums(sandbox, ['agents', 'executions', 'results']);
    expect(after).toEqual(before);
  });
});

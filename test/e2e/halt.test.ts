import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const dir = mkdtempSync(join(tmpdir(), 'kanade-halt-'));
const sleeper = 1600 + Math.floor(Math.random() * 1000);
const agents: Record<string, AgentProcess> = {};

type Result = {
  pc_id: string;
  exit_code: number | null;
  outcome: string | null;
  reason: string | null;
  stderr: string;
};
type Execution = { status: string; running: number; results: Result[] };

const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await sandbox.server.api(method, path, body);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const exec = (job: string, pcs: string[]) => api<{ exec_id: string }>('POST', `/api/exec/${job}`, { target: { pcs } });
const execution = (id: string) => api<Execution>('GET', `/api/executions/${id}`);
const result = (id: string) =>
  eventually(
    async () => (await execution(id)).results.find((r) => r.outcome !== null) ?? false,
    30_000,
    `a result of ${id}`,
  );
const grandchildAlive = () => {
  try {
    return (
      execFileSync('pgrep', ['-f', `sleep ${sleeper}`])
        .toString()
        .trim() !== ''
    );
  } catch {
    return false;
  }
};
const job = (id: string, script: string) =>
  `id: ${id}\nversion: "1"\nexecute:\n  shell: sh\n  script: ${script}\n  timeout: 10m\n`;

beforeAll(async () => {
  for (const id of ['pc-a', 'pc-b']) agents[id] = startAgentProcess({ id, sandbox, dataDir: join(dir, id) });
  await api(
    'POST',
    '/api/jobs',
    `${job('hello', 'echo hello')}---\n${job('hang', `"sh -c 'sleep ${sleeper} & sleep ${sleeper}'"`)}`,
  );
  await agentsOnline(sandbox, 2);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(agents).map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the emergency stop', () => {
  it('makes agents refuse new work with the reason (121), and refuses new execs', async () => {
    await agents['pc-b']?.stop();
    const { exec_id } = await exec('hello', ['pc-b']); // queued for an agent that is away
    await eventually(
      async () =>
        (await api<{ dispatched_at: string | null }>('GET', `/api/executions/${exec_id}`)).dispatched_at !== null,
      10_000,
      'dispatch',
    );
    await api('POST', '/api/fleet/halt', { reason: 'bad rollout' });
    expect(await api('GET', '/api/fleet')).toMatchObject({ halted: true, reason: 'bad rollout', changed_by: 'tester' });
    const refused = await sandbox.server.api('POST', '/api/exec/hello', { target: { all: true } });
    expect(refused.status).toBe(409);
    agents['pc-b'] = await (agents['pc-b'] as AgentProcess).restart();
    expect(await result(exec_id)).toMatchObject({
      outcome: 'skipped',
      exit_code: 121,
      reason: 'refused: the fleet is halted by tester: bad rollout',
    });
    await api('POST', '/api/fleet/resume', { reason: 'fixed' });
    expect((await result((await exec('hello', ['pc-b'])).exec_id)).outcome).toBe('succeeded');
  });

  it('kills running work when asked, even with the server stopped (halt through NATS)', async () => {
    const { exec_id } = await exec('hang', ['pc-a']);
    await eventually(
      async () => (await execution(exec_id)).running === 1 && grandchildAlive(),
      15_000,
      'the hang job to run',
    );
    await sandbox.stopServer();
    const halt = await runKanade(['fleet', 'halt', '--reason', 'pulling the plug', '--kill-running', '--direct'], {
      KANADE_NATS_URL: sandbox.nats.url,
      KANADE_NATS_CREDS: sandbox.nats.serverAuth.credsFile ?? '',
    });
    expect(halt).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^halted: the fleet is halted and running work is killed/),
    });
    await eventually(async () => !grandchildAlive(), 10_000, 'the process tree to be killed by the agent');
    await sandbox.startServer();
    const killed = await result(exec_id);
    expect(killed).toMatchObject({ outcome: 'killed', exit_code: -1 });
    expect(killed.stderr).toMatch(/killed: fleet halted by direct:\S+: pulling the plug/);
    const resume = await runKanade(['fleet', 'resume', '--direct'], {
      KANADE_NATS_URL: sandbox.nats.url,
      KANADE_NATS_CREDS: sandbox.nats.serverAuth.credsFile ?? '',
    });
    expect(resume.code).toBe(0);
    await eventually(
      async () => !(await api<{ halted: boolean }>('GET', '/api/fleet')).halted,
      10_000,
      'the server to see the resume',
    );
    expect((await result((await exec('hello', ['pc-a'])).exec_id)).outcome).toBe('succeeded');
  });
});

describe('the exit code of exec --wait', () => {
  const kanade = (args: string[]) =>
    runKanade(args, { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: sandbox.server.token });

  it('is 0 only when every targeted PC succeeded; 1 when one failed, was skipped or was killed', async () => {
    await api('POST', '/api/jobs', `${job('fails', 'exit 4')}---\n${job('retired', 'echo old')}`);
    await api('POST', '/api/jobs/retired/revoke', { reason: 'replaced' });
    expect(await kanade(['exec', 'hello', '--pcs', 'pc-a,pc-b', '--wait'])).toMatchObject({
      code: 0,
      err: expect.stringMatching(/2\/2 done, 2 succeeded, 0 failed, 0 skipped, 0 running \(completed\)/),
    });
    expect(await kanade(['exec', 'fails', '--pcs', 'pc-a', '--wait'])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/1\/1 done, 0 succeeded, 1 failed/),
    });
    const skipped = await kanade(['exec', 'retired', '--pcs', 'pc-a', '--wait']);
    expect(skipped).toMatchObject({ code: 1, err: expect.stringMatching(/0 succeeded, 0 failed, 1 skipped/) });
    expect(skipped.out).toMatch(/pc-a\s+skipped\s+126/);

    const waiting = kanade(['exec', 'hang', '--pcs', 'pc-b', '--wait']);
    const running = await eventually(
      async () => {
        const [e] = (
          await api<{ executions: (Execution & { exec_id: string })[] }>('GET', '/api/executions?job_id=hang&limit=1')
        ).executions;
        return e !== undefined && e.status !== 'killed' && e.running === 1 ? e : false;
      },
      15_000,
      'the hang job to run',
    );
    await api('POST', `/api/executions/${running.exec_id}/kill`, { reason: 'exit code test' });
    const killed = await waiting;
    expect(killed).toMatchObject({ code: 1, err: expect.stringMatching(/0 succeeded, 0 failed, 1 killed/) });
    expect(killed.out).toMatch(/pc-b\s+killed/);
  });

  it('is 3 when the server refuses in its current state (the fleet is halted), 2 for usage errors', async () => {
    await api('POST', '/api/fleet/halt', { reason: 'exit code test' });
    try {
      const refused = await kanade(['exec', 'hello', '--pcs', 'pc-a', '--wait']);
      expect(refused).toMatchObject({ code: 3, err: expect.stringMatching(/halted/) });
      expect((await kanade(['run', 'pc-a', '--', 'true'])).code).toBe(3);
    } finally {
      await api('POST', '/api/fleet/resume', { reason: 'done' });
    }
    expect(await kanade(['exec', 'hello'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/name all, some groups/),
    });
    expect(await kanade(['exec'])).toMatchObject({ code: 2, err: expect.stringMatching(/usage: kanade exec <job>/) });
  });
});

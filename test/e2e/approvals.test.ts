import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, callAs, signInAs, tokenOf } from '../../src/testing/accounts.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { rebuildChecksums } from '../../src/testing/rebuild.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer({ adhocApprovers: 1 }); // ad-hoc runs wait for a second person too
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-approvals-'));
let agent: AgentProcess;
const as = new Map<string, string>();

type Exec = {
  exec_id: string;
  status: string;
  dispatched_at: string | null;
  requested_by: string;
  succeeded: number;
  approvals_needed: number;
  approvals_given: number;
  approval_steps: { step: string; actor: string; reason: string | null }[];
};

const dangerJob = (id: string, extra = '') =>
  `id: ${id}\nversion: "1"\nrequire_approval: ${extra || 'true'}\nexecute:\n  shell: sh\n  script: echo ran-${id}\n  timeout: 1m\n`;

const call = async <T>(who: string, method: string, path: string, body?: unknown) => {
  const res = await callAs(sandbox.server, as.get(who), method, path, body);
  return { status: res.status, body: (await res.json()) as T };
};
const execAs = async (who: string, job: string) => {
  const res = await call<{ exec_id: string }>(who, 'POST', `/api/exec/${job}`, { target: { pcs: ['pc-approve'] } });
  expect(res.status).toBe(202);
  return res.body.exec_id;
};
const exec = (id: string) => api<Exec>('GET', `/api/executions/${id}`);

beforeAll(async () => {
  agent = startAgentProcess({ id: 'pc-approve', sandbox, dataDir: join(dir, 'pc') });
  for (const [user, role] of [
    ['olga', 'operator'],
    ['otto', 'operator'],
    ['vic', 'viewer'],
  ] as const)
    as.set(user, await signInAs(sandbox.server, user, await addUser(sandbox.server, user, role)));
  as.set('olga:ci', (await tokenOf(sandbox.server, 'olga', { name: 'ci' })).token);
  as.set('tester', sandbox.server.token);
  await api(
    'POST',
    '/api/jobs',
    [
      dangerJob('danger'),
      dangerJob('two-man', '{approvers: 2}'),
      dangerJob('brief', 'true\napproval_timeout: 1s'),
    ].join('---\n'),
  );
  await agentsOnline(sandbox, 1);
}, 60_000);

afterAll(async () => {
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('approvals', () => {
  it('hold an exec of a job marked require_approval until another person approves; then it runs', async () => {
    const id = await execAs('olga', 'danger');
    await sleep(2_500); // the dispatcher ticks every 2 s: it must have left this exec alone
    expect(await exec(id)).toMatchObject({ status: 'awaiting_approval', dispatched_at: null, approvals_needed: 1 });
    const inbox = await call<{ approvals: { exec_id: string; script: string; requested_by: string }[] }>(
      'vic',
      'GET',
      '/api/approvals',
    );
    expect(inbox.body.approvals).toEqual([
      expect.objectContaining({ exec_id: id, script: 'echo ran-danger', requested_by: 'olga' }),
    ]);

    // Not the requester, not through her token, and not a viewer.
    for (const who of ['olga', 'olga:ci']) {
      const self = await call<{ type: string }>(who, 'POST', `/api/executions/${id}/approve`, {});
      expect(self.status).toBe(403);
      expect(self.body.type).toBe('/problems/approval-by-requester');
    }
    expect((await call('vic', 'POST', `/api/executions/${id}/approve`, {})).status).toBe(403);

    expect((await call('otto', 'POST', `/api/executions/${id}/approve`, {})).body).toMatchObject({
      status: 'approved',
    });
    const done = await eventually(
      async () => ((await exec(id)).status === 'completed' ? exec(id) : false),
      20_000,
      'the approved exec to run',
    );
    expect(done.succeeded).toBe(1);
    expect(done.approval_steps.map((s) => [s.step, s.actor])).toEqual([
      ['requested', 'olga'],
      ['approved', 'otto'],
    ]);
  }, 40_000);

  it('need as many people as the job asks for', async () => {
    const id = await execAs('olga:ci', 'two-man');
    expect((await call('otto', 'POST', `/api/executions/${id}/approve`, {})).body).toMatchObject({
      status: 'approval-recorded',
    });
    expect((await call('otto', 'POST', `/api/executions/${id}/approve`, {})).status).toBe(409);
    await sleep(2_500);
    expect(await exec(id)).toMatchObject({ status: 'awaiting_approval', approvals_given: 1, dispatched_at: null });
    await call('tester', 'POST', `/api/executions/${id}/approve`, {});
    await eventually(
      async () => (await exec(id)).status === 'completed',
      20_000,
      'the exec to run after two approvals',
    );
  }, 40_000);

  it('dispatch nothing after a rejection or an expiry', async () => {
    const rejected = await execAs('olga', 'danger');
    expect((await call('otto', 'POST', `/api/executions/${rejected}/reject`, {})).status).toBe(422); // a reason is required
    expect((await call('otto', 'POST', `/api/executions/${rejected}/reject`, { reason: 'not today' })).status).toBe(
      200,
    );
    const expired = await execAs('olga', 'brief');
    await eventually(async () => (await exec(expired)).status === 'expired', 10_000, 'the approval to expire');
    expect((await call('otto', 'POST', `/api/executions/${expired}/approve`, {})).status).toBe(409);
    await sleep(2_500);
    for (const id of [rejected, expired]) {
      const e = await exec(id);
      expect(e.dispatched_at).toBeNull();
      expect(e.succeeded).toBe(0);
    }
    expect((await exec(rejected)).approval_steps.at(-1)).toMatchObject({
      step: 'rejected',
      actor: 'otto',
      reason: 'not today',
    });
    const results = await api<{ results: unknown[] }>('GET', `/api/results?exec_id=${rejected}`);
    expect(results.results).toEqual([]);
  }, 30_000);

  it('hold a schedule fire of such a job too, and are handled from the CLI', async () => {
    await api(
      'POST',
      '/api/schedules',
      'id: nightly-danger\ncron: "* * * * * *"\njob_id: danger\ntarget: { pcs: [pc-approve] }\n',
    );
    const fired = await eventually(
      async () => {
        const { executions } = await api<{ executions: { exec_id: string; requested_by: string; status: string }[] }>(
          'GET',
          '/api/executions?job_id=danger&status=awaiting_approval',
        );
        return executions.find((e) => e.requested_by === 'scheduler') ?? false;
      },
      10_000,
      'a fire of the schedule',
    );
    await api('POST', '/api/schedules/nightly-danger/disable', {});
    const env = { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: as.get('olga:ci') as string };
    const list = await runKanade(['approvals', 'list'], env);
    expect(list.out).toContain(fired.exec_id);
    expect(list.out).toMatch(/scheduler\s+0\/1/);
    const approved = await runKanade(['approvals', 'approve', fired.exec_id], env);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.out).toMatch(/^approved /);
    await eventually(
      async () => (await exec(fired.exec_id)).status === 'completed',
      20_000,
      'the approved fire to run',
    );
    // The others the schedule fired wait (or expire); none of them ran.
    const viewer = await runKanade(['approvals', 'approve', fired.exec_id], {
      ...env,
      KANADE_TOKEN: as.get('vic') as string,
    });
    expect(viewer.code).toBe(3);
  }, 40_000);

  it('hold ad-hoc runs for approval when the server is told to (--adhoc-approvers)', async () => {
    const env = { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: as.get('olga:ci') as string };
    const run = await runKanade(['run', 'pc-approve', '--', 'echo', 'adhoc-ran'], env);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/nothing runs until another person approves it/);
    const execId = /exec ([0-9A-Z]{26})/.exec(run.err)?.[1] as string;
    expect(await exec(execId)).toMatchObject({ status: 'awaiting_approval', dispatched_at: null });
    expect((await call('olga', 'POST', `/api/executions/${execId}/approve`, {})).status).toBe(403);
    expect((await call('otto', 'POST', `/api/executions/${execId}/approve`, {})).status).toBe(200);
    await eventually(async () => (await exec(execId)).status === 'completed', 20_000, 'the approved ad-hoc run');
  }, 30_000);

  it('record every step by person, and rebuild to the same approval history', async () => {
    const byOlga = await api<{ events: { actor: string; type: string }[] }>('GET', '/api/events?actor=olga&limit=1000');
    expect(new Set(byOlga.events.map((e) => e.actor))).toEqual(new Set(['olga', 'olga:ci']));
    const { before, after } = await rebuildChecksums(sandbox, ['executions', 'exec_approvals', 'users', 'api_tokens']);
    expect(after).toEqual(before);
  }, 30_000);
});

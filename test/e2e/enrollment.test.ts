import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { apiOf, shJob } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-enrollment-'));
const agents: AgentProcess[] = [];
let manualToken: string;

const kanade = (args: string[]) =>
  runKanade(args, {
    KANADE_API_URL: sandbox.server.url,
    KANADE_TOKEN: sandbox.server.token,
    KANADE_DATA_DIR: sandbox.server.dataDir,
  });
type Agent = {
  pc_id: string;
  enrollment: string;
  online: boolean;
  pending_key: string | null;
  public_key: string | null;
};
const agent = (pc: string) => api<Agent>('GET', `/api/agents/${pc}?min_seq=latest`);
const start = (id: string, token: string, groups = ['lab']) => {
  const a = startAgentProcess({
    id,
    groups,
    sandbox: { nats: sandbox.nats, enrollToken: token },
    dataDir: join(dir, id),
  });
  agents.push(a);
  return a;
};
const runOn = async (pc: string) => {
  const { exec_id } = await api<{ exec_id: string }>('POST', '/api/exec/hello', { target: { pcs: [pc] } });
  return eventually(
    async () => {
      const e = await api<{ status: string; succeeded: number }>('GET', `/api/executions/${exec_id}`);
      return e.status === 'completed' ? e : false;
    },
    20_000,
    `the exec on ${pc} to complete`,
  );
};

beforeAll(async () => {
  await api('POST', '/api/jobs', shJob('hello', 'echo hello'));
  const created = await kanade(['enrollment-tokens', 'create', '--name', 'help-desk', '--json']);
  expect(created.code).toBe(0);
  manualToken = (JSON.parse(created.out) as { token: string }).token;
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
});

describe('enrollment', () => {
  it('lists the token without its secret', async () => {
    const list = await kanade(['enrollment-tokens', 'list', '--json']);
    expect(list.out).toContain('help-desk');
    expect(list.out).not.toContain(manualToken.split('.')[1]);
  });

  it('keeps a new agent pending until an operator approves it, then it runs jobs', async () => {
    const pc = start('pc-new', manualToken);
    await eventually(async () => (await agent('pc-new')).enrollment === 'pending', 20_000, 'pc-new to be pending');
    expect((await kanade(['agents', 'list', '--enrollment', 'pending'])).out).toMatch(/pc-new\s+offline\s+pending/);
    expect(existsSync(join(dir, 'pc-new', 'agent.creds'))).toBe(false);
    const refused = await api<unknown>('POST', '/api/exec/hello', { target: { pcs: ['pc-new'] } }).catch((e) => e);
    expect(String(refused)).toMatch(/422.*no approved agent pc-new/);

    const approved = await kanade(['agents', 'approve', 'pc-new']);
    expect(approved).toMatchObject({ code: 0, out: expect.stringMatching(/^updated pc-new: approved, groups lab/) });
    await pc.ready();
    expect(existsSync(join(dir, 'pc-new', 'agent.creds'))).toBe(true);
    expect((await runOn('pc-new')).succeeded).toBe(1);
    const events = await api<{ events: { type: string; actor: string }[] }>('GET', '/api/events?stream=agent-pc-new');
    expect(events.events.map((e) => `${e.type} by ${e.actor}`)).toEqual([
      'AgentEnrollmentRequested by agent:pc-new',
      'AgentApproved by tester',
    ]);
  });

  it('gives a rejected agent nothing', async () => {
    const pc = start('pc-stranger', manualToken);
    await eventually(async () => (await agent('pc-stranger')).enrollment === 'pending', 20_000, 'a pending request');
    expect((await kanade(['agents', 'reject', 'pc-stranger', '--reason', 'not ours'])).code).toBe(0);
    await eventually(async () => pc.output().includes('enrollment rejected'), 20_000, 'the agent to hear no');
    expect(existsSync(join(dir, 'pc-stranger', 'agent.creds'))).toBe(false);
    expect(pc.output()).not.toContain('agent started');
    expect((await agent('pc-stranger')).enrollment).toBe('rejected');
  });

  it('refuses a request with a bad token, saying why', async () => {
    const pc = start('pc-badtoken', `${manualToken.slice(0, -4)}AAAA`);
    await eventually(async () => pc.output().includes('the enrollment token is not valid'), 20_000, 'the refusal');
    await expect(agent('pc-badtoken')).rejects.toThrow(/404/);
  });

  it('terminates an agent: cut off, cannot reconnect, in no target', async () => {
    const pc = agents.find((a) => a.id === 'pc-new') as AgentProcess;
    const creds = readFileSync(join(dir, 'pc-new', 'agent.creds'));
    const terminated = await kanade(['agents', 'terminate', 'pc-new', '--reason', 'laptop stolen']);
    expect(terminated).toMatchObject({ code: 0, out: expect.stringMatching(/^updated pc-new: terminated/) });
    const cutAt = Date.now();
    await eventually(async () => pc.process.exitCode !== null, 60_000, 'the terminated agent to be cut off');
    expect(Date.now() - cutAt).toBeLessThan(60_000);
    expect(pc.process.exitCode).toBe(1);
    expect(pc.output()).toMatch(/closed this agent's connection for good/);
    expect(pc.output()).toMatch(/this agent was terminated by an operator/);
    await expect(
      connect({ servers: sandbox.nats.url, authenticator: credsAuthenticator(creds), maxReconnectAttempts: 0 }),
    ).rejects.toThrow(/Authorization Violation/);
    // In no target: an exec to all leaves it out (or, with nobody else online, is refused as such).
    const all = await sandbox.server.api('POST', '/api/exec/hello', { target: { all: true } });
    const answer = (await all.json()) as { pcs?: string[]; type?: string };
    if (all.status === 422) expect(answer.type).toBe('/problems/target-offline');
    else expect(answer.pcs).not.toContain('pc-new');
    // A broker restart does not bring it back: the revocation is kept by the account resolver.
    await sandbox.nats.restart();
    await expect(
      connect({ servers: sandbox.nats.url, authenticator: credsAuthenticator(creds), maxReconnectAttempts: 0 }),
    ).rejects.toThrow(/Authorization Violation/);
  });

  it('needs approval again for a known pc id with a new key, even with an auto-approve token', async () => {
    for (const f of ['agent.nk', 'agent.creds', 'trust.json']) rmSync(join(dir, 'pc-new', f), { force: true });
    const again = start('pc-new', sandbox.enrollToken);
    await eventually(async () => (await agent('pc-new')).pending_key !== null, 20_000, 'the new key to wait');
    const standing = await agent('pc-new');
    expect(standing.enrollment).toBe('pending');
    expect(again.output()).toContain('waiting for an operator to approve this agent');
    expect((await kanade(['agents', 'approve', 'pc-new'])).code).toBe(0);
    await again.ready();
    expect((await runOn('pc-new')).succeeded).toBe(1);
  });

  it('never lets a second machine take over an approved identity', async () => {
    const impostor = startAgentProcess({
      id: 'pc-new',
      sandbox: { nats: sandbox.nats, enrollToken: sandbox.enrollToken },
      dataDir: join(dir, 'impostor'),
    });
    agents.push(impostor);
    await eventually(async () => (await agent('pc-new')).pending_key !== null, 20_000, 'the impostor to wait');
    const standing = await agent('pc-new');
    expect(standing).toMatchObject({ enrollment: 'approved' });
    expect(standing.pending_key).not.toBe(standing.public_key);
    expect(impostor.output()).not.toContain('agent started');
  });
});

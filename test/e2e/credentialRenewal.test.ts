import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decode, parseCreds } from '@nats-io/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, execToEnd, shJob } from '../../src/testing/api.ts';
import { useTestServer } from '../../src/testing/server.ts';

// Credentials valid for 12 s: the agent must renew them (at half-life) to keep working.
const LIFETIME_S = 12;
const sandbox = useTestServer({ agentCredentialLifetimeS: LIFETIME_S });
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-renewal-'));
let agent: AgentProcess;

const expiry = async () => decode((await parseCreds(readFileSync(join(dir, 'pc-r', 'agent.creds')))).jwt).exp ?? 0;
const runs = async () => (await execToEnd(sandbox, 'hello', { pcs: ['pc-r'] })).succeeded;

beforeAll(async () => {
  agent = startAgentProcess({ id: 'pc-r', sandbox, dataDir: join(dir, 'pc-r') });
  await agent.ready();
  await agentsOnline(sandbox, 1);
  await api('POST', '/api/jobs', shJob('hello', 'echo hello'));
});
afterAll(async () => {
  await agent?.stop();
});

describe('agent credentials', () => {
  it('expire, and the agent renews them before they do, and keeps working', { timeout: 60_000 }, async () => {
    const first = await expiry();
    expect(first - Date.now() / 1000).toBeLessThanOrEqual(LIFETIME_S);
    await eventually(async () => (await expiry()) > first, 20_000, 'the agent to renew its credential');
    await sleep((first - Date.now() / 1000 + 2) * 1000); // past the first credential's expiry
    expect(await runs()).toBe(1);
    expect(agent.output()).toMatch(/reconnected with a renewed credential \(half its life\)/);
  });

  it('after an absence longer than its credential, renews it through the bootstrap credential', {
    timeout: 60_000,
  }, async () => {
    await agent.stop();
    await sleep((LIFETIME_S + 2) * 1000);
    agent = await agent.restart();
    expect(await runs()).toBe(1);
  });
});

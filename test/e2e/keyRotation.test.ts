import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { fromSeed } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCommand } from '../../src/infra/signing/commandSignature.ts';
import { loadOrCreateSigningKey } from '../../src/server/signing.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, execToEnd, shJob } from '../../src/testing/api.ts';
import { testSigningKey, useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-rotation-'));
let agent: AgentProcess;
const oldKey = () => testSigningKey(sandbox.nats);
const newKey = join(dir, 'new-signing.nk');

const trusted = () => (JSON.parse(readFileSync(join(dir, 'pc-r', 'trust.json'), 'utf8')) as { keys: string[] }).keys;
const publicKey = (file: string) => loadOrCreateSigningKey(file).key.getPublicKey();
const restartWith = async (signing: { keyFile: string; previousKeyFile?: string }) => {
  await sandbox.stopServer();
  await sandbox.startServer({ signing });
};
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

describe('rotating the command-signing key', () => {
  it('pins the key of the server that approved the agent', async () => {
    expect(trusted()).toEqual([publicKey(oldKey())]);
    expect(await runs()).toBe(1);
  });

  it('trusts old and new while a rotation runs (the list signed by the old key), and runs what the new key signs', async () => {
    loadOrCreateSigningKey(newKey);
    await restartWith({ keyFile: newKey, previousKeyFile: oldKey() });
    await eventually(async () => trusted().length === 2, 15_000, 'the agent to learn the new key');
    expect(trusted()).toEqual([publicKey(newKey), publicKey(oldKey())]);
    expect(await runs()).toBe(1);
  });

  it('drops the old key once the server runs with the new one only; the old key signs nothing any more', async () => {
    await restartWith({ keyFile: newKey });
    await eventually(async () => trusted().length === 1, 15_000, 'the agent to drop the old key');
    expect(trusted()).toEqual([publicKey(newKey)]);
    expect(await runs()).toBe(1);
    const nc = await sandbox.nats.connect();
    try {
      const subject = 'kanade.cmd.pc.pc-r.stale';
      const body = JSON.stringify({
        id: 'stale',
        version: '1',
        request_id: '01STALEKEY00000000000000',
        exec_id: '01STALEKEY00000000000000',
        shell: 'sh',
        script: 'echo old key',
        timeout_secs: 10,
        run_as: 'system',
        staleness: { mode: 'unchecked' },
      });
      const old = fromSeed(new TextEncoder().encode(readFileSync(oldKey(), 'utf8').trim()));
      await jetstream(nc).publish(subject, body, { headers: signCommand(old, subject, body) });
    } finally {
      await nc.drain();
    }
    const refused = await eventually(async () => {
      const { results } = await api<{ results: { exec_id: string; exit_code: number; reason: string }[] }>(
        'GET',
        '/api/results?pc_id=pc-r&limit=50',
      );
      return results.find((r) => r.exec_id === '01STALEKEY00000000000000') ?? false;
    });
    expect(refused).toMatchObject({ exit_code: 123, reason: expect.stringMatching(/does not trust/) });
  });
});

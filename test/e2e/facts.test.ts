import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, execToEnd } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { rebuildChecksums } from '../../src/testing/rebuild.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-facts-'));
const agents: AgentProcess[] = [];

type Facts = {
  facts: { os: { family: string }; cpu: { count: number }; agent: { version: string }; arch: string } | null;
  reported_at: string | null;
  inventory: { job_id: string; data: Record<string, unknown> | null; skipped: string | null }[];
  history: { path: string; source: string; from: string | null; to: string | null }[];
};
const factsOf = (pc: string) => api<Facts>('GET', `/api/agents/${pc}/facts`);

// An inventory job: its stdout (a JSON document) becomes facts of the PC, under the job's id.
const inventoryJob = (version: string, script: string) =>
  `id: packages\nversion: "${version}"\ninventory: { display: [{ field: openssl, label: OpenSSL }] }\nexecute:\n  shell: sh\n  script: ${script}\n  timeout: 1m\n`;

beforeAll(async () => {
  for (const id of ['pc-f1', 'pc.f2.example.org'])
    agents.push(startAgentProcess({ id, sandbox, dataDir: join(dir, id), args: ['--facts-interval', '3s'] }));
  await agentsOnline(sandbox, 2);
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('facts', () => {
  it('are reported by each agent at start: OS, CPU, agent version', async () => {
    for (const pc of ['pc-f1', 'pc.f2.example.org']) {
      const f = await eventually(
        async () => ((await factsOf(pc)).facts === null ? false : factsOf(pc)),
        15_000,
        `facts of ${pc}`,
      );
      expect(f.facts?.os.family).toBe(process.platform === 'linux' ? 'linux' : expect.any(String));
      expect(f.facts?.cpu.count).toBeGreaterThan(0);
      expect(f.facts?.agent.version).toMatch(/^\d+\.\d+/);
      // The first report is history too: every fact appeared.
      expect(f.history.some((h) => h.path === 'os.family' && h.from === null)).toBe(true);
    }
  });

  it('are not recorded again while nothing changed', async () => {
    const before = await api<{ events: unknown[] }>('GET', '/api/events?type=FactsReported&limit=1000');
    await new Promise((r) => setTimeout(r, 7_000)); // two facts intervals
    const after = await api<{ events: unknown[] }>('GET', '/api/events?type=FactsReported&limit=1000');
    expect(after.events.length).toBe(before.events.length);
  }, 15_000);

  it("take an inventory job's output as facts, keep what changed, and say why bad output is skipped", async () => {
    await api('POST', '/api/jobs', inventoryJob('1', `'echo "{\\"openssl\\": \\"3.0.1\\", \\"zlib\\": \\"1.2\\"}"'`));
    await execToEnd(sandbox, 'packages', { pcs: ['pc-f1'] });
    expect((await factsOf('pc-f1')).inventory).toEqual([
      expect.objectContaining({ job_id: 'packages', data: { openssl: '3.0.1', zlib: '1.2' }, skipped: null }),
    ]);
    await api('POST', '/api/jobs', inventoryJob('2', `'echo "{\\"openssl\\": \\"3.0.2\\", \\"zlib\\": \\"1.2\\"}"'`));
    await execToEnd(sandbox, 'packages', { pcs: ['pc-f1'] });
    const changed = await factsOf('pc-f1');
    expect(changed.history[0]).toMatchObject({
      path: 'packages.openssl',
      source: 'packages',
      from: '"3.0.1"',
      to: '"3.0.2"',
    });
    expect(changed.history.filter((h) => h.path === 'packages.zlib')).toHaveLength(1); // unchanged: recorded once

    await api('POST', '/api/jobs', inventoryJob('3', 'echo not-json'));
    await execToEnd(sandbox, 'packages', { pcs: ['pc-f1'] });
    const skipped = (await factsOf('pc-f1')).inventory[0];
    expect(skipped).toMatchObject({ skipped: 'its output is not JSON', data: { openssl: '3.0.2', zlib: '1.2' } });

    const cli = await runKanade(['agents', 'facts', 'pc-f1'], {
      KANADE_API_URL: sandbox.server.url,
      KANADE_TOKEN: sandbox.server.token,
    });
    expect(cli.code).toBe(0);
    expect(cli.out).toMatch(/os\.family\s+linux/);
    expect(cli.out).toMatch(/openssl\s+3\.0\.2/);
    expect(cli.out).toMatch(/last output skipped: its output is not JSON/);
    const inventory = await runKanade(['inventory', '--job', 'packages'], {
      KANADE_API_URL: sandbox.server.url,
      KANADE_TOKEN: sandbox.server.token,
    });
    expect(inventory.out).toMatch(/^PC\s+OPENSSL\s+REPORTED/);
    expect(inventory.out).toMatch(/pc-f1\s+3\.0\.2\s+\S+ \(last output skipped\)/);
  }, 60_000);

  it('choose targets: exec --where runs on exactly the matching PCs; --dry-run lists them; a bad selector says where', async () => {
    const env = { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: sandbox.server.token };
    await api(
      'POST',
      '/api/jobs',
      'id: hello\nversion: "1"\nexecute:\n  shell: sh\n  script: echo hi\n  timeout: 1m\n',
    );
    const where = 'inventory["packages"].openssl startswith "3.0" and os.family == "linux"';
    const dry = await runKanade(['exec', 'hello', '--where', where, '--dry-run'], env);
    expect(dry).toMatchObject({ code: 0, out: 'pc-f1\n' });
    expect(dry.err).toMatch(/would run on 1 agent\(s\) matching .*nothing was recorded/);
    const other = await runKanade(['exec', 'hello', '--all', '--where', 'not (pc_id == "pc-f1")', '--dry-run'], env);
    expect(other.out).toBe('pc.f2.example.org\n');

    const run = await runKanade(['exec', 'hello', '--where', where, '--wait', '--json'], env);
    expect(run.code).toBe(0);
    const done = JSON.parse(run.out) as { exec_id: string; results: { pc_id: string }[]; target: unknown };
    expect(done.results.map((r) => r.pc_id)).toEqual(['pc-f1']);
    // The exec names who was chosen and why: the matching PCs one by one, and the selector with its scope.
    const { events } = await api<{ events: { seq: number; type: string }[] }>(
      'GET',
      `/api/events?type=ExecRequested&stream=exec-${done.exec_id}`,
    );
    const commit = await api<{ events: { data: { target: unknown; where: unknown } }[] }>(
      'GET',
      `/api/events/${events[0]?.seq}`,
    );
    expect(commit.events[0]?.data).toMatchObject({
      target: { pcs: ['pc-f1'] },
      where: { selector: expect.stringContaining('startswith "3.0"'), scope: { all: true } },
    });

    const bad = await runKanade(['exec', 'hello', '--where', 'os.family = "linux" adn cpu.count > 2'], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/1:11: where: unknown operator = \(did you mean ==\?\)/);
    expect(bad.err).toMatch(/1:21: where: unknown keyword adn \(did you mean and\?\)/);
    const none = await runKanade(['exec', 'hello', '--where', 'os.family == "plan9"'], env);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no agent in the target matches/);
  }, 60_000);

  it('rebuild to identical tables', async () => {
    const { before, after } = await rebuildChecksums(sandbox, ['agent_facts', 'agent_inventory', 'agent_fact_changes']);
    expect(after).toEqual(before);
  }, 30_000);
});

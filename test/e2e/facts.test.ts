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
    agents.push(
      startAgentProcess({ id, groups: ['lab'], sandbox, dataDir: join(dir, id), args: ['--facts-interval', '3s'] }),
    );
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

  it('choose waves: a selector wave takes the matching PCs, a later group wave the rest, and the events say why', async () => {
    const env = { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: sandbox.server.token };
    const selector = 'inventory["packages"].openssl startswith "3.0"';
    const canonical = 'inventory.packages.openssl startswith "3.0"'; // as events record it
    const waves = ['--wave', `where ${selector}:0s`, '--wave', 'lab:1s', '--wave', 'where os.family == "plan9":2s'];
    const dry = await runKanade(['exec', 'hello', ...waves, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.out).toBe('pc-f1\npc.f2.example.org\n');
    expect(dry.err).toContain(`wave 0 (where ${canonical}, after 0 s): pc-f1\n`);
    expect(dry.err).toContain('wave 1 (lab, after 1 s): pc.f2.example.org\n');
    expect(dry.err).toContain('wave 2 (where os.family == "plan9", after 2 s): no PC\n');
    const preview = await api<{ waves: unknown[] }>('POST', '/api/exec/hello?dry_run=true', {
      rollout: { waves: [{ where: selector }, { group: 'lab', delay: '1s' }] },
    });
    expect(preview.waves).toEqual([
      { where: { selector: canonical }, delay_secs: 0, pcs: ['pc-f1'], target_count: 1 },
      { group: 'lab', delay_secs: 1, pcs: ['pc.f2.example.org'], target_count: 1 },
    ]);

    const run = await runKanade(['exec', 'hello', ...waves, '--wait', '--json'], env);
    expect(run.code).toBe(0);
    type Done = {
      exec_id: string;
      status: string;
      target: unknown;
      waves: { wave: number; group?: string; where?: { selector: string }; target_count: number; succeeded: number }[];
      results: { pc_id: string; outcome: string }[];
    };
    const done = JSON.parse(run.out) as Done;
    expect(done.status).toBe('completed');
    expect(done.target).toEqual({ groups: ['lab'], pcs: ['pc-f1'] });
    expect(
      done.waves.map(({ wave, group, where, target_count, succeeded }) => ({
        wave,
        group,
        where,
        target_count,
        succeeded,
      })),
    ).toEqual([
      { wave: 0, group: undefined, where: { selector: canonical }, target_count: 1, succeeded: 1 },
      { wave: 1, group: 'lab', where: undefined, target_count: 1, succeeded: 1 },
      { wave: 2, group: undefined, where: { selector: 'os.family == "plan9"' }, target_count: 0, succeeded: 0 },
    ]);
    expect(done.results.map((r) => [r.pc_id, r.outcome]).sort()).toEqual([
      ['pc-f1', 'succeeded'],
      ['pc.f2.example.org', 'succeeded'],
    ]);
    // The request records each wave's selector (or group) and the PCs it chose; WaveScheduled repeats it.
    const { events } = await api<{ events: { seq: number; type: string }[] }>(
      'GET',
      `/api/events?stream=exec-${done.exec_id}&limit=100`,
    );
    const recorded: { type: string; data: unknown }[] = [];
    for (const seq of [...new Set(events.map((e) => e.seq))].sort((a, b) => a - b))
      recorded.push(...(await api<{ events: { type: string; data: unknown }[] }>('GET', `/api/events/${seq}`)).events);
    const dataOf = async (type: string) => recorded.filter((e) => e.type === type).map((e) => e.data);
    const [requested] = (await dataOf('ExecRequested')) as { rollout: { waves: unknown[] } }[];
    expect(requested?.rollout.waves).toEqual([
      { where: { selector: canonical }, delay_secs: 0, pcs: ['pc-f1'], target_count: 1 },
      { group: 'lab', delay_secs: 1, pcs: ['pc.f2.example.org'], target_count: 1 },
      { where: { selector: 'os.family == "plan9"' }, delay_secs: 2, pcs: [], target_count: 0 },
    ]);
    const scheduled = (await dataOf('WaveScheduled')) as { wave: number; group?: string; where?: unknown }[];
    expect(scheduled.map(({ wave, group, where }) => ({ wave, group, where }))).toEqual([
      { wave: 0, group: undefined, where: { selector: canonical } },
      { wave: 1, group: 'lab', where: undefined },
      { wave: 2, group: undefined, where: { selector: 'os.family == "plan9"' } },
    ]);

    const shown = await runKanade(['executions', 'get', done.exec_id], env);
    expect(shown.out).toMatch(/^0\s+where inventory\.packages\.openssl startswith "3\.0"\s+dispatched/m);
    expect(shown.out).toMatch(/^1\s+lab\s+dispatched/m);

    const bad = await sandbox.server.api('POST', '/api/exec/hello', {
      rollout: { waves: [{ where: 'os.family = "linux"' }, { group: 'lab', where: 'pc_id == "x"' }] },
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { issues: unknown[] }).issues).toEqual([
      {
        path: 'rollout.waves[0].where',
        message: expect.stringMatching(/did you mean ==.*at column 11 of the selector/),
      },
      { path: 'rollout.waves[1]', message: 'name a group or a where selector, not both (a wave is one or the other)' },
    ]);
  }, 60_000);

  it("choose a schedule's waves: once_per_target takes the PCs a selector wave matches as its target", async () => {
    // pc-f1 ran hello already, pc.f2 never ran packages: only the second schedule has something to do.
    const once = (id: string, job: string, pc: string) =>
      `id: ${id}\ncron: "* * * * * *"\njob_id: ${job}\nmode: once_per_target\nrollout: { waves: [{ where: 'pc_id == "${pc}"' }] }\n`;
    await api(
      'POST',
      '/api/schedules',
      `${once('done-once', 'hello', 'pc-f1')}---\n${once('due-once', 'packages', 'pc.f2.example.org')}`,
    );
    type Detail = { fires: { kind: string; exec_id: string | null }[] };
    const fire = await eventually(
      async () => (await api<Detail>('GET', '/api/schedules/due-once')).fires.find((f) => f.kind === 'fired') ?? false,
      10_000,
      'due-once to fire',
    );
    await new Promise((r) => setTimeout(r, 1_500)); // another slot or two go by for both
    // The same slots went by for both: the one whose selector's PC had succeeded never fired.
    expect((await api<Detail>('GET', '/api/schedules/done-once')).fires).toEqual([]);
    await api('DELETE', '/api/schedules/due-once');
    await api('DELETE', '/api/schedules/done-once');
    const exec = await api<{ waves: { where?: { selector: string }; target_count: number }[] }>(
      'GET',
      `/api/executions/${fire.exec_id}`,
    );
    expect(exec.waves).toMatchObject([{ where: { selector: 'pc_id == "pc.f2.example.org"' }, target_count: 1 }]);
  }, 30_000);

  it('rebuild to identical tables', async () => {
    const { before, after } = await rebuildChecksums(sandbox, [
      'agent_facts',
      'agent_inventory',
      'agent_fact_changes',
      'executions',
      'exec_waves',
      'exec_targets',
    ]);
    expect(after).toEqual(before);
  }, 30_000);
});

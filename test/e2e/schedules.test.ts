import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetStreamEventStore } from '../../src/infra/eventStore/index.ts';
import { createLogger } from '../../src/infra/log.ts';
import { connectNats } from '../../src/infra/nats/connection.ts';
import { createLoopHealth } from '../../src/server/loopHealth.ts';
import { startScheduler } from '../../src/server/scheduler/scheduler.ts';
import { createCommandSigner, loadOrCreateSigningKey } from '../../src/server/signing.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, shJob } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { rebuildChecksums } from '../../src/testing/rebuild.ts';
import { startTestServer, testSigningKey, useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-schedules-'));
const agents: AgentProcess[] = [];
const quiet = createLogger('test', 'error');

type Fire = {
  slot: string;
  kind: 'fired' | 'skipped';
  exec_id: string | null;
  count: number;
  to_slot: string;
  reason: string | null;
  exec: { status: string; target_count: number; succeeded: number } | null;
};
type ScheduleDetail = {
  schedule_id: string;
  enabled: boolean;
  fired: number;
  next_fire: string | null;
  next_fires: string[];
  fires: Fire[];
};

const schedule = (id: string, cron: string, extra = '') =>
  `id: ${id}\ncron: "${cron}"\njob_id: hello\ntarget: { all: true }\n${extra}`;
const apply = (yaml: string) => api<{ schedules: { id: string; status: string }[] }>('POST', '/api/schedules', yaml);
const detail = (id: string) => api<ScheduleDetail>('GET', `/api/schedules/${id}?preview=3`);
const fired = async (id: string) => (await detail(id)).fires.filter((f) => f.kind === 'fired');
const firedEvents = async (id: string) =>
  (
    await api<{ events: { summary: string }[] }>(
      'GET',
      `/api/events?type=ScheduleFired&stream=schedule-${id}&limit=1000`,
    )
  ).events;
const ms = (iso: string) => Date.parse(iso);
/**
 * The fired slots once each has exactly one ScheduleFired event (no slot fired twice). A slot being
 * fired as the schedule was disabled may land between the two reads, so they are compared until
 * both have settled; a slot fired twice keeps them apart and times this out.
 */
const firesWithOneEventEach = (id: string) =>
  eventually(
    async () => {
      const events = await firedEvents(id);
      const fires = await fired(id);
      return events.length === fires.length ? fires : false;
    },
    10_000,
    `each fired slot of ${id} to have exactly one ScheduleFired event`,
  );

beforeAll(async () => {
  for (const id of ['pc-a', 'pc-b']) agents.push(startAgentProcess({ id, sandbox, dataDir: join(dir, id) }));
  await api('POST', '/api/jobs', `${shJob('hello', 'echo hello')}---\n${shJob('other', 'echo other')}`);
  await agentsOnline(sandbox, 2);
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('schedules', () => {
  it('are applied idempotently, validated, previewed, and protect the jobs they run', async () => {
    const yaml = schedule('nightly', '0 3 * * *', 'tz: Europe/Berlin\nenabled: false\n');
    expect((await apply(yaml)).schedules).toEqual([expect.objectContaining({ id: 'nightly', status: 'created' })]);
    expect((await apply(yaml)).schedules).toEqual([expect.objectContaining({ id: 'nightly', status: 'unchanged' })]);
    expect((await detail('nightly')).next_fires).toEqual([]); // disabled
    await api('POST', '/api/schedules/nightly/enable');
    const preview = await detail('nightly');
    expect(preview.next_fires).toHaveLength(3);
    for (const at of preview.next_fires) expect(new Date(at).getUTCHours()).toBeOneOf([1, 2]); // 03:00 in Berlin
    const bad = await sandbox.server.api('POST', '/api/schedules', 'id: x\ncron: "61 * * * *"\njob_id: nope\n');
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    expect(((await bad.json()) as { issues: { path: string; line?: number }[] }).issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'cron', line: 2 })]),
    );
    const unknownJob = await sandbox.server.api(
      'POST',
      '/api/schedules',
      schedule('x', '0 3 * * *').replace('hello', 'nope'),
    );
    expect(unknownJob.status).toBe(422);
    const deleteJob = await sandbox.server.api('DELETE', '/api/jobs/hello');
    expect(deleteJob.status).toBe(409);
    expect(((await deleteJob.json()) as { title: string }).title).toMatch(/schedule nightly runs job hello/);
    await api('DELETE', '/api/schedules/nightly');
    expect((await sandbox.server.api('GET', '/api/schedules/nightly')).status).toBe(404);
  });

  it('fire a 6-field cron at its slots, each once, with an exec per slot', async () => {
    await apply(
      schedule('every2s', '*/2 * * * * *', 'target: { pcs: [pc-a] }\n').replace('target: { all: true }\n', ''),
    );
    const fires = await eventually(
      async () => {
        const f = await fired('every2s');
        return f.length >= 4 ? f : false;
      },
      20_000,
      'four fires',
    );
    await api('POST', '/api/schedules/every2s/disable');
    const slots = fires.map((f) => ms(f.slot)).sort((a, b) => a - b);
    for (const s of slots) expect(new Date(s).getUTCSeconds() % 2).toBe(0);
    for (let i = 1; i < slots.length; i++) expect((slots[i] as number) - (slots[i - 1] as number)).toBe(2_000);
    expect(new Set(fires.map((f) => f.exec_id)).size).toBe(fires.length);
    const done = await eventually(
      async () => {
        const all = await fired('every2s');
        return all.every((f) => f.exec?.status === 'completed') ? all : false;
      },
      15_000,
      'every fired exec to complete',
    );
    expect(done.every((f) => f.exec?.succeeded === 1)).toBe(true);
  }, 40_000);

  it('never fire a slot twice with two servers, and record slots missed while none ran', async () => {
    const second = await startTestServer(sandbox.nats);
    try {
      await apply(schedule('tick', '* * * * * *', 'target: { pcs: [pc-b] }\n').replace('target: { all: true }\n', ''));
      await sleep(4_000);
      await sandbox.stopServer(); // the other server takes over (the lease is handed over on a clean stop)
      await sleep(3_000);
      const count = async () => (await second.api('GET', '/api/schedules/tick')).json() as Promise<ScheduleDetail>;
      expect((await count()).fires.length).toBeGreaterThan(0);
    } finally {
      await second.dispose();
    }
    await sleep(8_000); // no scheduler runs now: these slots are missed (older than the on-time window)
    await sandbox.startServer();
    const missed = await eventually(
      async () => (await detail('tick')).fires.find((f) => f.kind === 'skipped') ?? false,
      15_000,
      'the missed slots to be recorded',
    );
    expect(missed.reason).toMatch(/^missed: no scheduler was running/);
    expect(missed.count).toBeGreaterThanOrEqual(2);
    await api('POST', '/api/schedules/tick/disable');

    const fires = await firesWithOneEventEach('tick');
    const slots = fires.map((f) => ms(f.slot)).sort((a, b) => a - b);
    expect(new Set(slots).size).toBe(slots.length);
    const execs = await api<{ executions: { exec_id: string; requested_by: string }[] }>(
      'GET',
      '/api/executions?job_id=hello&limit=1000',
    );
    const tickExecs = new Set(fires.map((f) => f.exec_id));
    expect(execs.executions.filter((e) => tickExecs.has(e.exec_id)).length).toBe(fires.length);
    // Every second from the first slot to the last is accounted for: fired, or inside a skipped range.
    const all = (await detail('tick')).fires;
    const covered = all.reduce((n, f) => n + f.count, 0);
    const first = Math.min(...all.map((f) => ms(f.slot)));
    const last = Math.max(...all.map((f) => ms(f.to_slot)));
    expect(covered).toBe((last - first) / 1000 + 1);
  }, 60_000);

  it('fire each slot once even with two leaders at once (a paused process waking up)', async () => {
    // A second scheduler with its own lease bucket: both think they lead, so both fire every slot.
    const nc = await connectNats({
      url: sandbox.nats.url,
      auth: sandbox.nats.serverAuth,
      name: 'split-brain',
      log: quiet,
    });
    const jsm = await jetstreamManager(nc);
    const rogue = startScheduler({
      nc,
      jsm,
      store: jetStreamEventStore(jetstream(nc), jsm, {
        msgIdKey: createCommandSigner(loadOrCreateSigningKey(testSigningKey(sandbox.nats)).key).msgIdKey,
      }),
      readModels: sandbox.server.readModels,
      now: () => new Date(),
      newId: ulid,
      state: await new Kvm(nc).create('kanade_scheduler_split_brain', { history: 1 }),
      log: quiet,
      health: createLoopHealth(quiet).loop('rogue scheduler'),
    });
    try {
      await apply(schedule('split', '* * * * * *', 'target: { pcs: [pc-a] }\n').replace('target: { all: true }\n', ''));
      await eventually(async () => rogue.isLeader(), 20_000, 'the rogue scheduler to lead');
      await eventually(async () => (await fired('split')).length >= 5, 20_000, 'five fires');
    } finally {
      await rogue.stop();
      await nc.drain();
    }
    await api('POST', '/api/schedules/split/disable');
    const fires = await firesWithOneEventEach('split');
    const execs = await api<{ executions: { exec_id: string }[] }>('GET', '/api/executions?job_id=hello&limit=1000');
    const ids = new Set(fires.map((f) => f.exec_id));
    expect(execs.executions.filter((e) => ids.has(e.exec_id))).toHaveLength(fires.length);
  }, 40_000);

  it('hold slots while the fleet is halted and record them as one range with the reason', async () => {
    await apply(schedule('held', '* * * * * *', 'target: { pcs: [pc-a] }\n').replace('target: { all: true }\n', ''));
    await eventually(async () => (await fired('held')).length > 0, 15_000, 'a first fire');
    await api('POST', '/api/fleet/halt', { reason: 'drill' });
    await sleep(3_500);
    await api('POST', '/api/fleet/resume', {});
    const range = await eventually(
      async () => (await detail('held')).fires.find((f) => f.kind === 'skipped') ?? false,
      15_000,
      'the held slots',
    );
    expect(range).toMatchObject({ reason: 'the fleet is halted' });
    expect(range.count).toBeGreaterThanOrEqual(2);
    const after = await eventually(
      async () => {
        const f = await fired('held');
        return f.some((x) => x.slot > range.to_slot) ? f : false;
      },
      15_000,
      'fires again after the resume',
    );
    await api('POST', '/api/schedules/held/disable');
    expect((await detail('held')).fires.filter((f) => f.kind === 'skipped')).toHaveLength(1);
    expect(after.length).toBeGreaterThan(1);
  }, 40_000);

  it('once_per_pc runs only at PCs that have not succeeded', async () => {
    await apply(`id: once\ncron: "*/2 * * * * *"\njob_id: other\ntarget: { all: true }\nmode: once_per_pc\n`);
    const first = await eventually(
      async () => {
        const f = await fired('once');
        return f[0]?.exec?.status === 'completed' ? f[0] : false;
      },
      15_000,
      'the first fire to complete',
    );
    expect(first.exec).toMatchObject({ target_count: 2, succeeded: 2 });
    await sleep(4_500); // two more slots: both PCs already succeeded
    expect(await fired('once')).toHaveLength(1);
    agents.push(startAgentProcess({ id: 'pc-c', sandbox, dataDir: join(dir, 'pc-c') }));
    const next = await eventually(
      async () => {
        const f = await fired('once');
        return f.length === 2 && f[0]?.exec?.status === 'completed' ? f[0] : false;
      },
      20_000,
      'a fire for the new PC',
    );
    expect(next.exec).toMatchObject({ target_count: 1, succeeded: 1 });
    const exec = await api<{ pcs: string[] }>('GET', `/api/executions/${next.exec_id}`);
    expect(exec.pcs).toEqual(['pc-c']);
    await api('POST', '/api/schedules/once/disable');
  }, 60_000);

  it('work from the CLI: validate offline, apply a directory, list, preview, disable, delete', async () => {
    const env = { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: sandbox.server.token };
    const files = join(dir, 'schedules');
    rmSync(files, { recursive: true, force: true });
    writeFileSync(join(dir, 'broken.yaml'), 'id: b\ncron: "* * *"\njob_id: hello\ntarget: { all: true }\n');
    const invalid = await runKanade(['schedule', 'validate', join(dir, 'broken.yaml')], {});
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/broken\.yaml:2:\d+: cron: must have 5 fields/);
    mkdirSync(files);
    writeFileSync(join(files, 'weekly.yaml'), schedule('weekly', '0 4 * * 1', 'enabled: false\n'));
    const applied = await runKanade(['schedule', 'apply', files], env);
    expect(applied).toMatchObject({ code: 0, out: expect.stringMatching(/created\s+weekly/) });
    const again = await runKanade(['schedule', 'apply', files], env);
    expect(again.out).toMatch(/unchanged\s+weekly/);
    const list = await runKanade(['schedule', 'list'], env);
    expect(list.out).toMatch(/weekly\s+hello\s+0 4 \* \* 1/);
    await runKanade(['schedule', 'enable', 'weekly'], env);
    const preview = await runKanade(['schedule', 'preview', 'weekly', '--count', '2'], env);
    expect(preview.out.trim().split('\n')).toHaveLength(2);
    expect((await runKanade(['schedule', 'delete', 'weekly'], env)).code).toBe(0);
    expect((await runKanade(['schedule', 'get', 'weekly'], env)).code).toBe(2);
  }, 30_000);

  it('rebuild schedules and their fires to identical tables', async () => {
    const { before, after } = await rebuildChecksums(sandbox, ['schedules', 'schedule_fires', 'executions']);
    expect(before.schedule_fires).toBeDefined();
    expect(after).toEqual(before);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/api/contract.ts';
import { encodeId } from '../../src/domain/shared/index.ts';
import { createLogger } from '../../src/infra/log.ts';
import { connectNats } from '../../src/infra/nats/connection.ts';
import { heartbeatSubject } from '../../src/infra/nats/subjects.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { rebuildChecksums } from '../../src/testing/rebuild.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-config-'));
const agents: AgentProcess[] = [];
let nc: NatsConnection;

const LAB = 'pc-lab.example.org'; // in groups kiosk and lab
const OTHER = 'pc-other'; // in canary, a group without a layer

const configOf = (pc: string) => api<AgentConfig>('GET', `/api/agents/${encodeURIComponent(pc)}/config`);
const apply = (yaml: string, query = '') => sandbox.server.api('POST', `/api/config${query}`, yaml);
const eventCount = async () =>
  (await api<{ events: unknown[] }>('GET', '/api/events?type=ConfigLayerSet&limit=1000')).events.length;

/** Waits until the server's effective `key` of `pc` is `value` and the agent reports running with all of it. */
const settled = (pc: string, key: string, value: unknown) =>
  eventually(
    async () => {
      const c = await configOf(pc);
      return c.in_sync === true && c.settings.find((s) => s.key === key)?.value === value ? c : false;
    },
    20_000,
    `${pc} to run with ${key} ${JSON.stringify(value)}`,
  );

/** Counts the heartbeats each PC sends from now on (read straight off the broker). */
const countBeats = (pcs: readonly string[]) => {
  const counts = new Map(pcs.map((pc) => [pc, 0]));
  const subs: Subscription[] = pcs.map((pc) =>
    nc.subscribe(`kanade.hb.${encodeId(pc)}`, {
      callback: () => {
        counts.set(pc, (counts.get(pc) ?? 0) + 1);
      },
    }),
  );
  return {
    counts: () => Object.fromEntries(counts),
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
};

beforeAll(async () => {
  // Both agents heartbeat every second of their own (the harness's --heartbeat 1s).
  agents.push(startAgentProcess({ id: LAB, groups: ['lab', 'kiosk'], sandbox, dataDir: join(dir, 'lab') }));
  agents.push(startAgentProcess({ id: OTHER, groups: ['canary'], sandbox, dataDir: join(dir, 'other') }));
  await agentsOnline(sandbox, 2);
  await Promise.all(agents.map((a) => a.ready()));
  nc = await connectNats({
    url: sandbox.nats.url,
    auth: sandbox.nats.serverAuth,
    name: 'beats',
    log: createLogger('test', 'error'),
  });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('layered agent configuration', () => {
  it('reaches a running agent live from its group layer: its heartbeat interval changes, and the other agent keeps its own', async () => {
    const before = await configOf(LAB);
    expect(before.settings.find((s) => s.key === 'heartbeat')).toMatchObject({
      value: '1s',
      source: { layer: 'default' },
      reported: '1s',
    });

    const res = await apply('layer: group\ngroup: lab\nsettings:\n  heartbeat: 10m\n  log_level: debug\n');
    expect(res.status).toBe(201);
    await settled(LAB, 'heartbeat', '10m');
    // Observed on the broker: the lab agent now beats every 10 minutes (one beat came with the change),
    // the other one still every second.
    const beats = countBeats([LAB, OTHER]);
    await new Promise((r) => setTimeout(r, 5_000));
    beats.stop();
    expect(beats.counts()[LAB]).toBe(0);
    expect(beats.counts()[OTHER]).toBeGreaterThanOrEqual(2);
    expect(agents[0]?.output()).toMatch(/config changed .*heartbeat/);

    const after = await configOf(LAB);
    expect(after.settings.find((s) => s.key === 'heartbeat')).toEqual({
      key: 'heartbeat',
      value: '10m',
      source: { layer: 'group', group: 'lab', priority: 0 },
      reported: '10m',
    });
    expect((await configOf(OTHER)).settings.find((s) => s.key === 'heartbeat')?.source).toEqual({ layer: 'default' });
  }, 60_000);

  it('shows each value and its layer in `kanade agents config`, and says which rule decided between groups', async () => {
    await apply(
      [
        'layer: global\nsettings: { max_concurrent: 3, heartbeat: 2s }',
        'layer: group\ngroup: lab\nsettings:\n  heartbeat: 10m\n  log_level: debug',
        'layer: group\ngroup: kiosk\npriority: 5\nsettings: { max_concurrent: 6 }',
        `layer: pc\npc: ${LAB}\nsettings: { log_level: warn }`,
      ].join('\n---\n'),
    );
    let last: unknown;
    const env = { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: sandbox.server.token };
    const cli = await eventually(
      async () => {
        const run = await runKanade(['agents', 'config', LAB], env);
        last = run;
        return run.code === 0 && /the agent runs with these/.test(run.err) ? run : false;
      },
      20_000,
      'the agent to run with the four layers',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${JSON.stringify(last)}\n${agents[0]?.output().slice(-3000)}`);
    });
    expect(cli.out).toMatch(/heartbeat\s+10m\s+group lab \(priority 0\)\s+10m/);
    expect(cli.out).toMatch(/max_concurrent\s+6\s+group kiosk \(priority 5\)\s+6/);
    expect(cli.out).toMatch(/log_level\s+warn\s+pc\s+warn/);

    // kiosk at the same priority as lab now, and setting the heartbeat too: the name decides (kiosk
    // sorts first), and the API says so.
    await apply('layer: group\ngroup: kiosk\npriority: 0\nsettings: { heartbeat: 5m, max_concurrent: 6 }');
    const config = await settled(LAB, 'heartbeat', '5m');
    expect(config.settings.find((s) => s.key === 'heartbeat')).toMatchObject({
      value: '5m',
      source: { layer: 'group', group: 'kiosk', priority: 0, rule: 'name', over: ['lab'] },
      reported: '5m',
    });
    expect(config.rule).toMatch(/highest priority wins, and at equal priority the group whose name sorts first/);
    // The other agent takes only the global layer.
    const other = await settled(OTHER, 'heartbeat', '2s');
    expect(other.settings.find((s) => s.key === 'heartbeat')).toMatchObject({
      value: '2s',
      source: { layer: 'global' },
    });
  }, 60_000);

  it('applies idempotently, plans without appending on --dry-run, and a deleted layer gives the agent back its own value', async () => {
    const layers = 'layer: global\nsettings: { max_concurrent: 3, heartbeat: 2s }';
    const count = await eventCount();
    const again = await apply(layers);
    expect(((await again.json()) as { layers: { status: string }[] }).layers).toEqual([
      expect.objectContaining({ id: 'global', status: 'unchanged' }),
    ]);
    const dry = await apply('layer: global\nsettings: { heartbeat: 3s }', '?dry_run=true');
    expect(((await dry.json()) as { layers: unknown[] }).layers).toEqual([
      expect.objectContaining({
        id: 'global',
        status: 'updated',
        changed: ['settings.heartbeat', 'settings.max_concurrent'],
      }),
    ]);
    expect(await eventCount()).toBe(count);

    const bad = await apply('layer: group\ngroup: lab\nsettings: { heartbeat: 1 }');
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/"line":3/);
    expect(await eventCount()).toBe(count);

    for (const layer of ['group/lab', 'group/kiosk', `pc/${encodeURIComponent(LAB)}`]) {
      const res = await sandbox.server.api('DELETE', `/api/config/${layer}`);
      expect(res.status, layer).toBe(200);
    }
    const back = await settled(LAB, 'heartbeat', '2s'); // the global layer's
    expect(back.settings.find((s) => s.key === 'log_level')).toMatchObject({
      value: 'info',
      source: { layer: 'default' },
    });
    const { before, after } = await rebuildChecksums(sandbox, ['config_layers']);
    expect(after).toEqual(before);
  }, 60_000);

  it('tells a layer value the agent still applies from its own setting: not in sync until it catches up', async () => {
    const now = await settled(OTHER, 'heartbeat', '2s');
    const reported = Object.fromEntries(now.settings.map((s) => [s.key, s.reported]));
    await agents[1]?.stop(); // its own beats would overwrite the ones below
    // Publishes a heartbeat as the agent would, then reads the config once the server shows `mark` reported.
    const beat = async (config: object, mark: [string, unknown]) => {
      const at = new Date().toISOString();
      const facts = { pc_id: OTHER, hostname: OTHER, os: 'linux', arch: 'x64', agent_version: 'test' };
      nc.publish(heartbeatSubject(OTHER), JSON.stringify({ ...facts, at, groups: ['canary'], running: 0, config }));
      return eventually(
        async () => {
          const c = await configOf(OTHER);
          return c.settings.find((s) => s.key === mark[0])?.reported === mark[1] ? c : false;
        },
        10_000,
        'the heartbeat to be projected',
      );
    };
    // An agent still running with log_level debug from a layer deleted meanwhile; its own level is info.
    const stale = await beat({ ...reported, log_level: 'debug', own: { ...reported, log_level: 'info' } }, [
      'log_level',
      'debug',
    ]);
    expect(stale.settings.find((s) => s.key === 'log_level')).toEqual({
      key: 'log_level',
      value: 'info',
      source: { layer: 'default' },
      reported: 'debug',
    });
    expect(stale.in_sync).toBe(false);
    // An agent of an earlier release reports no `own`: what it runs with stands in for its own settings.
    const older = await beat({ ...reported, log_level: 'debug', max_concurrent: 77 }, ['max_concurrent', 77]);
    expect(older.settings.find((s) => s.key === 'log_level')).toMatchObject({ value: 'debug', reported: 'debug' });
  }, 60_000);
});

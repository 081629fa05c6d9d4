import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execStreamName } from '../../src/domain/execs/index.ts';
import { encodeCommit, jetStreamEventStore } from '../../src/infra/eventStore/index.ts';
import { eventually } from '../../src/testing/agentProcess.ts';
import { apiOf, shJob } from '../../src/testing/api.ts';
import { rebuildChecksums } from '../../src/testing/rebuild.ts';
import { useTestServer } from '../../src/testing/server.ts';

// 50,000 enrolled agents (recorded straight into the streams: enrollment is not what this is about;
// nobody runs the commands). An exec to all of them, a rollout over them and a list naming each must
// be accepted, recorded with every resolved PC, dispatched, and rebuilt to the same tables.
const AGENTS = Number(process.env.LARGE_AGENTS ?? 50_000);
const WINDOW = 1_000;
const sandbox = useTestServer();
const api = apiOf(sandbox);
const pcOf = (i: number) => `big-pc-${String(i).padStart(5, '0')}`;
let nc: NatsConnection;

const inWindows = async (count: number, publish: (i: number) => Promise<unknown>) => {
  for (let from = 0; from < count; from += WINDOW)
    await Promise.all(Array.from({ length: Math.min(WINDOW, count - from) }, (_, k) => publish(from + k)));
};

beforeAll(async () => {
  nc = await sandbox.nats.connect();
  const js = jetstream(nc);
  await api('POST', '/api/jobs', shJob('hello', 'echo hello'));
  const at = new Date().toISOString();
  await inWindows(AGENTS, (i) => {
    const pc = pcOf(i);
    const facts = { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'test' };
    const groups = [i < AGENTS / 2 ? 'wave1' : 'wave2'];
    const commit = { id: `enroll:${pc}`, actor: `agent:${pc}`, at, via: 'agent' };
    return js.publish(
      `kanade.ev.agent.${pc}`,
      encodeCommit(commit, [{ type: 'AgentEnrolled', data: { ...facts, groups } }]),
    );
  });
  await inWindows(AGENTS, (i) => {
    const pc = pcOf(i);
    const beat = { pc_id: pc, hostname: pc, os: 'linux', arch: 'x64', agent_version: 'test', groups: [], running: 0 };
    return js.publish(`kanade.hb.${pc}`, JSON.stringify({ ...beat, at: new Date().toISOString() }));
  });
  await eventually(
    async () => (await api<{ total: number }>('GET', '/api/agents?status=online&limit=1')).total === AGENTS,
    120_000,
    `${AGENTS} agents online`,
  );
  // The agents' views (their groups) are written too before any exec goes out.
  const head = (await (await jetstreamManager(nc)).streams.info('KANADE_EVENTS')).state.last_seq;
  const meta = await new Kvm(nc).open('kanade_views_meta');
  await eventually(
    async () => {
      const at = Number((await meta.get('checkpoint'))?.string() ?? 0);
      console.log(
        'views at',
        at,
        'of',
        head,
        new Date().toISOString(),
        JSON.stringify((await api<{ background: unknown }>('GET', '/health')).background),
      );
      return at >= head;
    },
    120_000,
    'the agents views written',
  );
}, 300_000);

afterAll(async () => {
  await nc?.close();
});

type Accepted = { exec_id: string; target_count: number; pcs: string[] };

// Every message of the exec's stream fits the broker's limit, and the request was cut into parts.
const recordedInParts = async (execId: string) => {
  const jsm = await jetstreamManager(nc);
  const store = jetStreamEventStore(jetstream(nc), jsm);
  const { events } = await store.readStream(execStreamName(execId));
  const types = events.map((e) => e.type);
  expect(types).toContain('ExecRequestPart');
  expect(types).toContain('ExecRequestedInParts');
  expect(types).not.toContain('ExecRequested');
  const consumer = await jetstream(nc).consumers.get('KANADE_EVENTS', {
    filter_subjects: `kanade.ev.exec.${execId}`,
  });
  const sizes: number[] = [];
  const messages = await consumer.fetch({ max_messages: 100, expires: 2_000 });
  for await (const m of messages) {
    sizes.push(m.data.length);
    if (m.info.pending === 0) break;
  }
  expect(Math.max(...sizes)).toBeLessThanOrEqual(nc.info?.max_payload ?? 0);
};

describe('an exec to 50,000 agents', () => {
  const execs: Accepted[] = [];

  it('to all is accepted, recorded in parts and dispatched as one command', { timeout: 120_000 }, async () => {
    const accepted = await api<Accepted>('POST', '/api/exec/hello', { target: { all: true } });
    expect(accepted.target_count).toBe(AGENTS);
    execs.push(accepted);
    await recordedInParts(accepted.exec_id);
    const e = await eventually(
      async () => {
        const got = await api<{ dispatched_at: string | null; pcs: string[]; subjects: string[] | null }>(
          'GET',
          `/api/executions/${accepted.exec_id}?min_seq=latest`,
        );
        return got.dispatched_at !== null ? got : false;
      },
      30_000,
      'the exec dispatched',
    );
    expect(e.pcs).toHaveLength(AGENTS);
    expect(e.subjects).toEqual(['kanade.cmd.all.hello']);
  });

  it('in two waves is accepted with every PC in its wave; the first wave goes out PC by PC', {
    timeout: 120_000,
  }, async () => {
    const accepted = await api<Accepted>('POST', '/api/exec/hello', {
      rollout: {
        strategy: 'wave',
        waves: [
          { group: 'wave1', delay: '0s' },
          { group: 'wave2', delay: '1h' },
        ],
      },
    });
    expect(accepted.target_count).toBe(AGENTS);
    execs.push(accepted);
    await recordedInParts(accepted.exec_id);
    const waves = await eventually(
      async () => {
        const got = await api<{ waves: { target_count: number; status: string }[] }>(
          'GET',
          `/api/executions/${accepted.exec_id}?min_seq=latest`,
        );
        return got.waves[0]?.status === 'dispatched' ? got.waves : false;
      },
      60_000,
      'the first wave dispatched',
    );
    expect(waves.map((w) => [w.target_count, w.status])).toEqual([
      [AGENTS / 2, 'dispatched'],
      [AGENTS / 2, 'scheduled'],
    ]);
  });

  it('naming every PC is accepted, and its target is recorded whole', { timeout: 120_000 }, async () => {
    const pcs = Array.from({ length: AGENTS }, (_, i) => pcOf(i));
    const accepted = await api<Accepted>('POST', '/api/exec/hello', { target: { pcs } });
    expect(accepted.target_count).toBe(AGENTS);
    execs.push(accepted);
    await recordedInParts(accepted.exec_id);
    const e = await eventually(
      async () => {
        const got = await api<{ dispatched_at: string | null; target: { pcs: string[] } }>(
          'GET',
          `/api/executions/${accepted.exec_id}?min_seq=latest`,
        );
        return got.dispatched_at !== null ? got : false;
      },
      60_000,
      'the exec dispatched',
    );
    expect(e.target.pcs).toEqual(pcs);
  });

  it('is rebuilt to identical tables', { timeout: 120_000 }, async () => {
    expect(execs).toHaveLength(3);
    const { before, after } = await rebuildChecksums(sandbox, [
      'executions',
      'exec_waves',
      'exec_targets',
      'exec_pcs',
      'exec_request_parts',
      'agents',
    ]);
    expect(after).toEqual(before);
  });
});

import Database from 'better-sqlite3';
import { startEnrolledSandbox } from './enrolled.ts';

const ROUNDS = 30;
const ONLINE_WINDOW_MS = 120_000;

const median = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
const worst = (times: number[]) => Math.max(...times);
const timed = async (rounds: number, work: () => Promise<unknown>): Promise<number[]> => {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await work();
    times.push(performance.now() - t0);
  }
  return times;
};

/**
 * `npm run bench -- metrics --agents 20000`: a real server with N enrolled agents (half heartbeating),
 * then the time of one `GET /metrics` scrape (median and worst of 30), next to the raw floor for the
 * same work in the same run: the two grouped SQLite queries on the live read-model file through
 * better-sqlite3, and the two `STREAM.INFO` requests over a plain NATS connection.
 */
export const metricsBench = async (options: { agents: number }): Promise<void> => {
  const { server, token, stop, nc, readModels } = await startEnrolledSandbox('metrics', options.agents, 300_000);
  try {
    let bytes = 0;
    const scrape = await timed(ROUNDS, async () => {
      const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      const text = await res.text();
      if (!res.ok) throw new Error(`/metrics: ${res.status}`);
      bytes = text.length;
    });
    const file = readModels.status().file;
    if (file === undefined) throw new Error('no live read-model file');
    const db = new Database(file, { readonly: true });
    const agents = db.prepare(`
      select case coalesce(en.status, 'approved')
               when 'approved' then (case when h.at >= ? then 'online' else 'offline' end)
               else en.status end as status, count(*) as n
      from agents a
      left join agent_enrollment en on en.pc_id = a.pc_id
      left join agent_heartbeats h on h.pc_id = a.pc_id
      group by 1`);
    const execs = db.prepare('select status, count(*) as n from executions group by status');
    let online = 0;
    const floor = await timed(ROUNDS, async () => {
      const rows = agents.all(new Date(Date.now() - ONLINE_WINDOW_MS).toISOString()) as { status: string; n: number }[];
      online = rows.find((r) => r.status === 'online')?.n ?? 0;
      execs.all();
      await Promise.all(
        ['KANADE_EVENTS', 'KANADE_HEARTBEATS'].map((s) => nc.request(`$JS.API.STREAM.INFO.${s}`, '{}')),
      );
    });
    db.close();
    const kanadeMs = median(scrape);
    const floorMs = median(floor);
    console.log(`scrape  median ${kanadeMs.toFixed(1)} ms, worst ${worst(scrape).toFixed(1)} ms, ${bytes} bytes`);
    console.log(`floor   median ${floorMs.toFixed(1)} ms, worst ${worst(floor).toFixed(1)} ms (${online} online)`);
    console.log(
      JSON.stringify({
        agents: options.agents,
        scrape_ms: Number(kanadeMs.toFixed(2)),
        floor_ms: Number(floorMs.toFixed(2)),
        ratio_to_floor: Number((kanadeMs / floorMs).toFixed(2)),
      }),
    );
  } finally {
    await nc.drain();
    await stop();
  }
};

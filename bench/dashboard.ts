import { startEnrolledSandbox } from './enrolled.ts';

const ROUNDS = 20;

/**
 * `npm run bench -- dashboard --agents 5000`: a real server with N enrolled agents (half of them
 * heartbeating), then the time to render the dashboard pages that read many agents — the first
 * agents page, a search, a group filter, the overview — as a browser would fetch them (median and
 * worst of 20 rounds).
 */
export const dashboardBench = async (options: { agents: number }): Promise<void> => {
  const { server, token, stop, nc } = await startEnrolledSandbox('dashboard', options.agents, 120_000);
  try {
    const pages = {
      'agents, first page': '/agents',
      'agents, search': '/agents?q=pc-0042',
      'agents, one group': '/agents?group=lab&status=online',
      'agents, last page': `/agents?offset=${Math.max(0, options.agents - 50)}`,
      overview: '/',
    };
    for (const [name, path] of Object.entries(pages)) {
      const times: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        const res = await fetch(`${server.url}${path}`, { headers: { Cookie: `kanade_token=${token}` } });
        await res.text();
        if (!res.ok) throw new Error(`${path}: ${res.status}`);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)] ?? 0;
      console.log(`${name.padEnd(20)} median ${median.toFixed(1)} ms, worst ${(times.at(-1) ?? 0).toFixed(1)} ms`);
    }
  } finally {
    await nc.drain();
    await stop();
  }
};

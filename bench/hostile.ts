import { Lexer } from 'yaml';
import { startBenchSandbox } from './sandbox.ts';
import { memoryOf } from './serverProcess.ts';

// Hostile bodies, each well under the 8 MiB manifest limit (or 64 KiB for small bodies): what a
// fuzzer or an attacker with a token sends. Every one must be refused with a 4xx problem document,
// quickly, and the server's memory must come back near where it started.
const MB = 1024 * 1024;
const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
  .concat('bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`))
  .join('\n');
const corpus: { name: string; type: string; path: string; body: string }[] = [
  {
    name: 'YAML flow nesting, 4 MB',
    type: 'application/yaml',
    path: '/api/jobs',
    body: `x: ${'['.repeat(2 * MB)}${']'.repeat(2 * MB)}`,
  },
  { name: 'YAML block nesting, 4 MB', type: 'application/yaml', path: '/api/jobs', body: `${'- '.repeat(2 * MB)}x` },
  { name: 'YAML billion laughs', type: 'application/yaml', path: '/api/jobs', body: laughs },
  { name: 'YAML unresolved alias', type: 'application/yaml', path: '/api/jobs', body: 'id: x\nversion: *nowhere\n' },
  {
    name: 'YAML 200k documents, 1.4 MB',
    type: 'application/yaml',
    path: '/api/jobs',
    body: Array(200_000).fill('a: 1').join('\n---\n'),
  },
  {
    name: 'YAML flat sequence, 4 MB',
    type: 'application/yaml',
    path: '/api/jobs',
    body: `[${Array(2 * MB)
      .fill('1')
      .join(',')}]`,
  },
  {
    name: 'JSON nesting, 4 MB',
    type: 'application/json',
    path: '/api/jobs',
    body: `${'['.repeat(2 * MB)}${']'.repeat(2 * MB)}`,
  },
  {
    name: 'JSON 100k manifests, 7 MB',
    type: 'application/json',
    path: '/api/jobs',
    body: JSON.stringify(Array(100_000).fill({ id: 'x', version: '1', execute: {} })),
  },
  {
    name: 'JSON nesting, small body',
    type: 'application/json',
    path: '/api/exec/x',
    body: `{"target": ${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
  },
];
const ROUNDS = 3;

// The server under test runs in a process of its own (`kanade server`), so its memory is its own.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

// The time to merely read the same bytes (JSON.parse, or the YAML lexer), which a server without
// limits would pay at least.
const floorMs = (c: (typeof corpus)[number]) => {
  const started = performance.now();
  try {
    if (c.type === 'application/json') JSON.parse(c.body);
    else for (const _ of new Lexer().lex(c.body));
  } catch {
    // the floor is the time to read the bytes, valid or not
  }
  return performance.now() - started;
};

export const hostileBench = async (): Promise<void> => {
  const sandbox = await startBenchSandbox('hostile', { serverProcess: true });
  const { url, pid } = sandbox.server;
  try {
    await sleep(2000); // let start-up settle
    const baseline = memoryOf(pid).rss;
    console.log(
      `kanade server (pid ${pid}) resident at start: ${baseline.toFixed(0)} MB; ${ROUNDS} rounds of each body`,
    );
    console.log(
      'body                              bytes  status  refused in (median)  floor (read the bytes)  /health meanwhile',
    );
    for (const c of corpus) {
      const times: number[] = [];
      const healthMs: number[] = [];
      let status = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const started = performance.now();
        const health = sleep(5).then(async () => {
          const t = performance.now();
          await fetch(`${url}/health`);
          return performance.now() - t;
        });
        const res = await fetch(`${url}${c.path}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${sandbox.token}`, 'Content-Type': c.type },
          body: c.body,
        });
        await res.arrayBuffer();
        times.push(performance.now() - started);
        healthMs.push(await health);
        status = res.status;
      }
      console.log(
        `${c.name.padEnd(30)} ${String(c.body.length).padStart(8)}  ${String(status).padStart(6)}  ${median(times).toFixed(0).padStart(12)} ms  ${floorMs(c).toFixed(0).padStart(15)} ms  ${median(healthMs).toFixed(0).padStart(14)} ms`,
      );
      if (status < 400 || status >= 500) console.log(`  !! ${c.name} answered ${status}, not a 4xx refusal`);
    }
    const peak = memoryOf(pid).peak;
    const after = memoryOf(pid).rss;
    await sleep(10_000);
    console.log(
      `kanade server RSS: at start ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, right after ${after.toFixed(0)} MB, 10 s later ${memoryOf(pid).rss.toFixed(0)} MB`,
    );
  } finally {
    await sandbox.stop();
  }
};

import { parentPort, workerData } from 'node:worker_threads';

/** What one load run measures: requests answered, how fast, and any that failed. */
export type LoadResult = { requests: number; seconds: number; latenciesMs: number[]; failures: string[] };

/** One load run: `clients` loops, each sending the next request of `requests` as soon as the last answered. */
export type LoadSpec = {
  url: string;
  token: string;
  clients: number;
  /** Requests per client. */
  perClient: number;
  /** Path (GET) or `POST <path>`, picked by request number and client. */
  requests: { method: 'GET' | 'POST'; path: string }[][];
  /**
   * Open loop: each client starts a request every `intervalMs` (spread over the interval), whether or
   * not the last one answered late — latency is then the service time at that offered rate. Without
   * it, closed loop: the next request leaves when the last answers, and latency is clients/throughput.
   */
  intervalMs?: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Runs in a worker thread, so the clients do not share the server's event loop.
const run = async (spec: LoadSpec): Promise<LoadResult> => {
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  const headers = { Authorization: `Bearer ${spec.token}`, 'Content-Type': 'application/json' };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: spec.clients }, async (_, c) => {
      const mine = spec.requests[c % spec.requests.length] ?? [];
      const offset = spec.intervalMs === undefined ? 0 : (spec.intervalMs * c) / spec.clients;
      for (let i = 0; i < spec.perClient; i++) {
        const r = mine[i % mine.length];
        if (r === undefined) return;
        if (spec.intervalMs !== undefined) {
          const due = started + offset + i * spec.intervalMs;
          if (due > performance.now()) await sleep(due - performance.now());
        }
        const t0 = performance.now();
        const res = await fetch(`${spec.url}${r.path}`, {
          method: r.method,
          headers,
          ...(r.method === 'POST' ? { body: '{}' } : {}),
        });
        await res.arrayBuffer();
        latenciesMs.push(performance.now() - t0);
        if (!res.ok && failures.length < 5) failures.push(`${r.method} ${r.path}: ${res.status}`);
      }
    }),
  );
  return { requests: latenciesMs.length, seconds: (performance.now() - started) / 1000, latenciesMs, failures };
};

if (parentPort !== null && workerData !== null) {
  const port = parentPort;
  run(workerData as LoadSpec).then(
    (result) => port.postMessage(result),
    (error: unknown) => port.postMessage({ error: String(error) }),
  );
}

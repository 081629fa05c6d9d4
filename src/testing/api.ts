import { eventually } from './agentProcess.ts';
import type { Sandbox } from './server.ts';

/** A JSON caller of the sandbox's API that throws on any non-2xx answer (for test set-up and reads). */
export const apiOf =
  (sandbox: Sandbox) =>
  async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await sandbox.server.api(method, path, body);
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

/** A sample job manifest (YAML) running `script` with sh. */
export const shJob = (id: string, script: string, version = '1') =>
  `id: ${id}\nversion: "${version}"\nexecute:\n  shell: sh\n  script: ${script}\n  timeout: 10m\n`;

/** Waits until the API counts `count` agents online (they enroll and heartbeat on their own). */
export const agentsOnline = (sandbox: Sandbox, count: number) =>
  eventually(
    async () => (await apiOf(sandbox)<{ total: number }>('GET', '/api/agents?status=online')).total === count,
    20_000,
    `${count} agents online`,
  );

/** An execution as tests read it back. */
export type FinishedExec = {
  exec_id: string;
  status: string;
  succeeded: number;
  results: { pc_id: string; outcome: string | null; exit_code: number | null; stdout: string }[];
};

/** Runs `job` on `target` through the API and waits until the exec has completed. */
export const execToEnd = async (sandbox: Sandbox, job: string, target: object): Promise<FinishedExec> => {
  const api = apiOf(sandbox);
  const { exec_id } = await api<{ exec_id: string }>('POST', `/api/exec/${job}`, { target });
  return eventually(
    async () => {
      const e = await api<FinishedExec>('GET', `/api/executions/${exec_id}`);
      return e.status === 'completed' ? e : false;
    },
    30_000,
    `exec ${exec_id} of ${job} to finish`,
  );
};

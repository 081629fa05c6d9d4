/**
 * Calls the HTTP API in the same process (the dashboard is a client of the API like the CLI). `env` is
 * the browser's own connection, passed on where the API must know the client's address (sign-in throttling).
 */
export type CallApi = (request: Request, env?: unknown) => Response | Promise<Response>;

/** One problem with the input, as the API reports it. */
export type ApiIssue = { path: string; message: string; line?: number; column?: number };

/** The API refused a request: its problem document. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly issues: readonly ApiIssue[];
  constructor(status: number, title: string, issues: readonly ApiIssue[]) {
    super(title);
    this.name = 'ApiFailure';
    this.status = status;
    this.issues = issues;
  }
}

type Query = Record<string, string | number | boolean | undefined>;

/** An API client acting with the signed-in operator's token; every write is recorded as coming from the dashboard. */
export type Api = {
  get<T>(path: string, query?: Query): Promise<T>;
  getText(path: string, accept: string): Promise<string>;
  send<T>(method: string, path: string, body?: unknown): Promise<T>;
};

const ORIGIN = 'http://kanade.internal';

/** The client for one request of one operator (`token` undefined in insecure dev mode). */
export const apiFor = (call: CallApi, token: string | undefined): Api => {
  const request = async (method: string, path: string, init: { query?: Query; body?: unknown; accept?: string }) => {
    const url = new URL(path, ORIGIN);
    for (const [k, v] of Object.entries(init.query ?? {}))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      Accept: init.accept ?? 'application/json',
      'X-Kanade-Source': 'dashboard',
    };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await call(
      new Request(url, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) }),
    );
    if (!res.ok) {
      const problem = (await res.json().catch(() => ({}))) as { title?: string; issues?: ApiIssue[] };
      throw new ApiFailure(res.status, problem.title ?? `HTTP ${res.status}`, problem.issues ?? []);
    }
    return res;
  };
  return {
    get: async <T>(path: string, query?: Query) =>
      (await (await request('GET', path, query === undefined ? {} : { query })).json()) as T,
    getText: async (path, accept) => (await request('GET', path, { accept })).text(),
    send: async <T>(method: string, path: string, body?: unknown) =>
      (await (await request(method, path, { body: body ?? {} })).json()) as T,
  };
};

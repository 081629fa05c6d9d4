import { ApiProblem } from './errors.ts';

/** A thin client for the kanade HTTP API. */
export type ApiClient = {
  readonly url: string;
  get<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T>;
  send<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number | boolean | undefined>,
  ): Promise<T>;
  getText(path: string, accept: string): Promise<string>;
};

/** Creates a client; every request says it comes from the CLI (recorded with each event). */
export const createClient = (apiUrl: string, token: string | undefined): ApiClient => {
  const base = apiUrl.replace(/\/+$/, '');
  const call = async (
    method: string,
    path: string,
    init: { body?: string; type?: string; accept?: string; query?: Query },
  ) => {
    const url = `${base}${path}${queryString(init.query)}`;
    const headers: Record<string, string> = { 'X-Kanade-Source': 'cli', Accept: init.accept ?? 'application/json' };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (init.type !== undefined) headers['Content-Type'] = init.type;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new Error(
        `cannot reach the kanade API at ${base} (${cause}); is \`kanade server\` running? (KANADE_API_URL)`,
      );
    }
    if (!res.ok) throw new ApiProblem(res.status, await problemBody(res));
    return res;
  };
  return {
    url: base,
    // Reads ask for everything written so far (min_seq=latest), so `apply` then `list` in a script is consistent.
    get: async <T>(path: string, query?: Query) =>
      (await (await call('GET', path, { query: { min_seq: 'latest', ...query } })).json()) as T,
    send: async <T>(method: string, path: string, body?: unknown, query?: Query) => {
      const res = await call(method, path, {
        ...(body === undefined ? {} : { body: JSON.stringify(body), type: 'application/json' }),
        ...(query === undefined ? {} : { query }),
      });
      return (await res.json()) as T;
    },
    getText: async (path, accept) => (await call('GET', path, { accept, query: { min_seq: 'latest' } })).text(),
  };
};

type Query = Record<string, string | number | boolean | undefined>;

const queryString = (query: Query | undefined): string => {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== false) as [
    string,
    string | number | true,
  ][];
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, v === true ? 'true' : String(v)])).toString()}`;
};

const problemBody = async (res: Response): Promise<Record<string, unknown>> => {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as unknown;
    return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : { title: text };
  } catch {
    return { title: text.trim() || res.statusText };
  }
};

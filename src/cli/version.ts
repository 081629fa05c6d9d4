import { readFileSync } from 'node:fs';

/** kanade's version, from package.json (the agent reports it in enrollment and heartbeats). */
export const kanadeVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

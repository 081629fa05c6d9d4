import { UsageError } from './errors.ts';

/** Parses `host:port` (IPv6 as `[::1]:8080`). */
export const parseListen = (text: string): { host: string; port: number } => {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new UsageError(`--listen must be host:port, not ${JSON.stringify(text)}`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
};

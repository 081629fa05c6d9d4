import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the generated API token is kept. */
export const tokenFile = (dataDir: string): string => join(dataDir, 'token');

/** Tokens shorter than this are refused: an empty or trivial token must never open the API. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The server's admin token: `explicit` (KANADE_TOKEN) when given, else the one in the data dir,
 * else a new random one written there (mode 0600) on first start.
 */
export const loadOrCreateToken = (
  dataDir: string,
  explicit: string | undefined,
): { token: string; created: boolean } => {
  if (explicit !== undefined && explicit !== '')
    return { token: strongEnough(explicit, 'KANADE_TOKEN'), created: false };
  const file = tokenFile(dataDir);
  if (existsSync(file)) return { token: strongEnough(readFileSync(file, 'utf8').trim(), file), created: false };
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, created: true };
};

const strongEnough = (token: string, where: string): string => {
  if (token.length < MIN_TOKEN_LENGTH)
    throw new Error(`the API token in ${where} is shorter than ${MIN_TOKEN_LENGTH} characters`);
  return token;
};

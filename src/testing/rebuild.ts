import Database from 'better-sqlite3';
import { tableChecksums } from '../projections/checksum.ts';
import { eventually } from './agentProcess.ts';
import type { Sandbox } from './server.ts';

const checksumsOf = (file: string, tables: readonly string[]) => {
  const db = new Database(file, { readonly: true });
  try {
    const all = tableChecksums(db);
    return Object.fromEntries(tables.map((t) => [t, all[t]]));
  } finally {
    db.close();
  }
};

/**
 * Rebuilds the sandbox server's read models from the streams (blue/green, through the API) and
 * returns the checksums of `tables` before and after, for a test to compare.
 */
export const rebuildChecksums = async (sandbox: Sandbox, tables: readonly string[]) => {
  const before = sandbox.server.readModels.status().file as string;
  const expected = checksumsOf(before, tables);
  const res = await sandbox.server.api('POST', '/api/projections/rebuild');
  if (!res.ok) throw new Error(`rebuild: ${res.status} ${await res.text()}`);
  await eventually(
    async () => {
      const s = sandbox.server.readModels.status();
      return s.file !== before && s.rebuild === undefined;
    },
    20_000,
    'the rebuild',
  );
  return { before: expected, after: checksumsOf(sandbox.server.readModels.status().file as string, tables) };
};

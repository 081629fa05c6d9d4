import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

const KEEP = 20_000;

/**
 * The request ids this agent has handled, persisted so neither a catch-up replay nor a restart runs a
 * command twice. Append-only with an fsync per id; compacted to the newest 20,000 ids on open (the
 * commands stream keeps 7 days, far fewer commands than that per agent).
 */
export const openDedupJournal = (file: string) => {
  mkdirSync(dirname(file), { recursive: true });
  const ids = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const kept = ids.slice(-KEEP);
  if (kept.length < ids.length) {
    writeFileSync(`${file}.tmp`, `${kept.join('\n')}\n`);
    renameSync(`${file}.tmp`, file);
  }
  const seen = new Set(kept);
  const fd = openSync(file, 'a');
  return {
    /** True when `id` was handled before (now or in an earlier life). */
    has: (id: string): boolean => seen.has(id),
    /** Records `id` durably; false when it was already there. */
    add: (id: string): boolean => {
      if (seen.has(id)) return false;
      writeSync(fd, `${id}\n`);
      fsyncSync(fd);
      seen.add(id);
      return true;
    },
    close: () => closeSync(fd),
  };
};

/** The dedup journal of an agent. */
export type DedupJournal = ReturnType<typeof openDedupJournal>;

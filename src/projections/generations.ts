import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

// Read models live in generation files named by CURRENT. A rebuild writes a new generation and then
// flips the pointer with an atomic rename, so readers never see a half-built model, and each
// generation keeps its own -wal/-shm files (renaming a live SQLite file over another would mix them).
const POINTER = 'CURRENT';
const GENERATION = /^gen-[0-9a-z-]+\.sqlite$/;

/** The generation CURRENT points at, when both the pointer and the file exist. */
export const currentGeneration = (dir: string): string | undefined => {
  const pointer = join(dir, POINTER);
  if (!existsSync(pointer)) return undefined;
  const name = readFileSync(pointer, 'utf8').trim();
  const file = join(dir, name);
  return GENERATION.test(name) && existsSync(file) ? file : undefined;
};

/** A fresh file name for the next generation (not created yet). */
export const nextGeneration = (dir: string, stamp: string): string => {
  mkdirSync(dir, { recursive: true });
  return join(dir, `gen-${stamp}.sqlite`);
};

/** Points CURRENT at `file` atomically. */
export const promoteGeneration = (dir: string, file: string): void => {
  const tmp = join(dir, `${POINTER}.tmp`);
  writeFileSync(tmp, `${basename(file)}\n`);
  renameSync(tmp, join(dir, POINTER));
};

/** Deletes every generation (and its WAL files) except those in `keep` (paths or undefined). */
export const removeGenerations = (dir: string, keep: readonly (string | undefined)[]): void => {
  if (!existsSync(dir)) return;
  const kept = new Set(keep.filter((k): k is string => k !== undefined).map((k) => basename(k)));
  for (const name of readdirSync(dir)) {
    const base = name.replace(/-(wal|shm|journal)$/, '');
    if (GENERATION.test(base) && !kept.has(base)) rmSync(join(dir, name), { force: true });
  }
};

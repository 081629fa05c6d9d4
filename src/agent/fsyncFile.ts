import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes a file durably: temp file, fsync, atomic rename, fsync of the directory (so the rename survives power loss). */
export const writeFileDurably = (file: string, content: string): void => {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDirectory(dirname(file));
};

/** Flushes a directory's entries (a rename or unlink in it) to disk; a no-op where that is not possible. */
export const syncDirectory = (dir: string): void => {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a directory for fsync; NTFS journals the rename itself
  }
};

/** Removes a file when it is there: one unlink (rmSync's `force` costs an lstat and more besides). */
export const removeFile = (file: string): void => {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
};

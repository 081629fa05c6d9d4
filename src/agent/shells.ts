import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const CANDIDATES: Record<string, readonly string[]> = {
  sh: ['sh'],
  bash: ['bash'],
  pwsh: ['pwsh', 'pwsh.exe'],
  powershell: ['powershell.exe'],
  cmd: ['cmd.exe'],
};

const onPath = (names: readonly string[], path: string): boolean =>
  path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) =>
      names.some((name) => {
        try {
          accessSync(join(dir, name), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
    );

/** The shells this machine can run, found on PATH (commands for others are skipped with exit 122). */
export const detectShells = (path: string, platform: string): string[] =>
  Object.entries(CANDIDATES)
    .filter(
      ([shell, names]) => (platform === 'win32' || (shell !== 'powershell' && shell !== 'cmd')) && onPath(names, path),
    )
    .map(([shell]) => shell);

import { existsSync, readFileSync, statSync } from 'node:fs';
import { glob, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { ConfigManifest } from '../domain/config/index.ts';
import type { JobManifest } from '../domain/jobs/index.ts';
import type { ScheduleManifest } from '../domain/schedules/index.ts';
import type { Issue, Parsed } from '../domain/shared/index.ts';
import { parseConfigYaml, parseJobsYaml, parseSchedulesYaml, type ScriptFileReader } from '../manifests/index.ts';
import { UsageError } from './errors.ts';

const MANIFEST = /\.ya?ml$/i;

/** Expands files, directories (recursively) and globs into manifest files, in a stable order. */
export const expandManifestPaths = async (args: readonly string[], cwd: string): Promise<string[]> => {
  if (args.length === 0) throw new UsageError('name at least one file, directory or glob');
  const files: string[] = [];
  for (const arg of args) {
    if (/[*?[{]/.test(arg)) {
      const matches: string[] = [];
      for await (const f of glob(arg, { cwd })) if (MANIFEST.test(f)) matches.push(resolve(cwd, f));
      if (matches.length === 0) throw new UsageError(`${arg} matches no .yaml or .yml file`);
      files.push(...matches.sort());
    } else {
      const path = resolve(cwd, arg);
      if (!existsSync(path)) throw new UsageError(`${arg} does not exist`);
      files.push(...(statSync(path).isDirectory() ? await walk(path) : [path]));
    }
  }
  return [...new Set(files)];
};

const walk = async (dir: string): Promise<string[]> => {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (MANIFEST.test(entry.name)) out.push(path);
  }
  return out;
};

/** A path as problems show it: relative to the working directory when inside it, else absolute (never `../../tmp/…`). */
export const shownPath = (cwd: string, file: string): string => {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
};

/** Manifests read from files, with where each came from. */
export type ManifestFile<T> = {
  /** Each manifest with the file it came from (`source` as shown, `file` absolute). */
  manifests: { manifest: T; source: string; file: string }[];
  issues: Issue[];
  files: number;
};

/** Parses every file strictly with `parse` and catches ids defined twice across files. */
export const readManifestFiles = <T extends { id: string }>(
  files: readonly string[],
  cwd: string,
  kind: string,
  parse: (text: string, source: string, file: string) => Parsed<T[]>,
): ManifestFile<T> => {
  const manifests: ManifestFile<T>['manifests'] = [];
  const issues: Issue[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const source = shownPath(cwd, file);
    const parsed = parse(readFileSync(file, 'utf8'), source, file);
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      continue;
    }
    for (const manifest of parsed.value) {
      const first = seen.get(manifest.id);
      if (first !== undefined)
        issues.push({ source, path: 'id', message: `${kind} id ${manifest.id} is already defined in ${first}` });
      else seen.set(manifest.id, source);
      manifests.push({ manifest, source, file });
    }
  }
  return { manifests, issues, files: files.length };
};

/** Job manifests from files, script_file inlined relative to each file. */
export const readJobFiles = (files: readonly string[], cwd: string): ManifestFile<JobManifest> =>
  readManifestFiles(files, cwd, 'job', (text, source, file) =>
    parseJobsYaml(text, { source, readScriptFile: scriptReader(file) }),
  );

/** Config manifests (agent config layers) from files. */
export const readConfigFiles = (files: readonly string[], cwd: string): ManifestFile<ConfigManifest> =>
  readManifestFiles(files, cwd, 'config layer', (text, source) => parseConfigYaml(text, source));

/** Schedule manifests from files. */
export const readScheduleFiles = (files: readonly string[], cwd: string): ManifestFile<ScheduleManifest> =>
  readManifestFiles(files, cwd, 'schedule', (text, source) => parseSchedulesYaml(text, source));

const scriptReader =
  (manifestFile: string): ScriptFileReader =>
  (path) => {
    const file = resolve(dirname(manifestFile), path);
    try {
      return { ok: true, text: readFileSync(file, 'utf8') };
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
      return { ok: false, message: `cannot read ${path} (${reason})` };
    }
  };

import { existsSync, readFileSync, statSync } from 'node:fs';
import { glob, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { JobManifest } from '../domain/jobs/index.ts';
import type { Issue } from '../domain/shared/index.ts';
import { parseJobsYaml, type ScriptFileReader } from '../manifests/index.ts';
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

/** Manifests read from files, with where each came from. */
export type ManifestFile = { manifests: { manifest: JobManifest; source: string }[]; issues: Issue[]; files: number };

/** Parses every file strictly, inlining script_file relative to the file, and catches ids defined twice. */
export const readJobFiles = (files: readonly string[], cwd: string): ManifestFile => {
  const manifests: ManifestFile['manifests'] = [];
  const issues: Issue[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const source = relative(cwd, file) || file;
    const parsed = parseJobsYaml(readFileSync(file, 'utf8'), { source, readScriptFile: scriptReader(file) });
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      continue;
    }
    for (const manifest of parsed.value) {
      const first = seen.get(manifest.id);
      if (first !== undefined)
        issues.push({ source, path: 'id', message: `job id ${manifest.id} is already defined in ${first}` });
      else seen.set(manifest.id, source);
      manifests.push({ manifest, source });
    }
  }
  return { manifests, issues, files: files.length };
};

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

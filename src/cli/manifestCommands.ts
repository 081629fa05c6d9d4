import { readFileSync } from 'node:fs';
import type { Issue } from '../domain/shared/index.ts';
import { issueInDocument, type ManifestPositions, manifestPositions } from '../manifests/index.ts';
import type { CommandSpec } from './command.ts';
import { bool, boolFlag, JSON_FLAG } from './command.ts';
import { ApiProblem, EXIT, UsageError } from './errors.ts';
import { expandManifestPaths, type ManifestFile } from './manifestFiles.ts';
import { type Io, line, writeJson } from './output.ts';

/** One line of what applying manifests did (or would do). */
export type PlanEntry = { id: string; version?: string; status: string; seq: number; changed?: string[] };

/** How a kind of manifest is read from files and where it is posted. */
export type ManifestKindSpec<T extends { id: string }> = {
  noun: string;
  plural: string;
  endpoint: string;
  read(files: readonly string[], cwd: string): ManifestFile<T>;
};

const printPlan = (io: Io, entries: readonly PlanEntry[], dryRun: boolean) => {
  if (dryRun) line(io.out, 'plan (dry run, nothing applied):');
  for (const e of entries) {
    const changed = e.changed === undefined ? '' : `  (${e.changed.join(', ')})`;
    line(io.out, `${e.status.padEnd(9)} ${e.id}${e.version === undefined ? '' : ` ${e.version}`}${changed}`);
  }
  const count = (s: string) => entries.filter((e) => e.status === s).length;
  line(
    io.out,
    `${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('deleted')} deleted`,
  );
};

/** `kanade <noun> apply` and `kanade <noun> validate`: manifests from files, as CI pipelines post them. */
export const manifestFileCommands = <T extends { id: string }>(kind: ManifestKindSpec<T>): CommandSpec[] => {
  const read = async (paths: readonly string[]) => {
    const cwd = process.cwd();
    return kind.read(await expandManifestPaths(paths, cwd), cwd);
  };
  const load = async (paths: readonly string[]) => {
    const manifests = await read(paths);
    if (manifests.issues.length > 0)
      throw new UsageError(
        `${manifests.issues.length} problem(s) in the manifests; nothing was sent`,
        manifests.issues,
      );
    return manifests;
  };
  return [
    {
      path: [kind.noun, 'apply'],
      usage: `kanade ${kind.noun} apply <files|dirs|globs…> [--dry-run] [--prune] [--json]`,
      summary: `Create or update ${kind.noun} manifests; prints what was created, updated, unchanged or deleted`,
      options: {
        'dry-run': bool('show what would change, change nothing'),
        prune: bool(`also delete catalog ${kind.plural} that are not in the given files`),
        ...JSON_FLAG,
      },
      run: async (args, ctx) => {
        const { manifests } = await load(args.positionals);
        const dryRun = boolFlag(args, 'dry-run');
        const result = await ctx
          .client()
          .send<Record<string, unknown>>(
            'POST',
            kind.endpoint,
            manifests.map((m) => m.manifest),
            { dry_run: dryRun, prune: boolFlag(args, 'prune') },
          )
          .catch((error: unknown) => {
            throw onTheirFiles(error, manifests);
          });
        if (boolFlag(args, 'json')) writeJson(ctx.io, result);
        else printPlan(ctx.io, (result[kind.plural] ?? []) as PlanEntry[], dryRun);
        const warnings = (result as { warnings?: unknown }).warnings;
        if (Array.isArray(warnings)) for (const w of warnings) line(ctx.io.err, `warning: ${String(w)}`);
        return 0;
      },
    },
    {
      path: [kind.noun, 'validate'],
      usage: `kanade ${kind.noun} validate <files|dirs|globs…> [--json]`,
      summary: `Check ${kind.noun} manifests offline (strict: unknown keys are errors); exit 2 when any has a problem`,
      options: JSON_FLAG,
      run: async (args, ctx) => {
        const checked = await read(args.positionals);
        const ok = checked.issues.length === 0;
        if (boolFlag(args, 'json')) {
          const manifests = checked.manifests.map((m) => ({ id: m.manifest.id, source: m.source }));
          writeJson(ctx.io, { ok, files: checked.files, manifests, issues: checked.issues });
          return ok ? EXIT.ok : EXIT.usage;
        }
        if (!ok) throw new UsageError(`${checked.issues.length} problem(s) in the manifests`, checked.issues);
        line(ctx.io.out, `ok: ${checked.manifests.length} ${kind.noun}(s) in ${checked.files} file(s)`);
        return EXIT.ok;
      },
    },
  ];
};

// The server numbers the manifests it was sent (a job not in the catalog, a group nobody is in, a
// version not bumped): put each problem back on its file, line and column.
const onTheirFiles = <T extends { id: string }>(error: unknown, sent: ManifestFile<T>['manifests']): unknown => {
  if (!(error instanceof ApiProblem) || error.issues.every((i) => i.document === undefined)) return error;
  const positions = new Map<string, ManifestPositions>();
  const positionsOf = (file: string) => {
    const known = positions.get(file) ?? manifestPositions(readFileSync(file, 'utf8'));
    positions.set(file, known);
    return known;
  };
  const issues = error.issues.map((issue): Issue => {
    const entry = issue.document === undefined ? undefined : sent[issue.document];
    if (entry === undefined) return issue;
    const { document: _, ...rest } = issue;
    return issueInDocument(positionsOf(entry.file).byId(entry.manifest.id), { ...rest, source: entry.source });
  });
  return new ApiProblem(error.status, { ...error.body, issues });
};

// `npm run build` (also run by `npm install`, as `prepare`): bundles `kanade agent` into one JavaScript
// file, dist/agent/main.js, so an agent runs without Node's TypeScript stripper and with one module
// instead of ~250 (measured: 116 MiB resident idle from the sources, see docs/architecture.md). Beside
// it, sources.json names every file the bundle was built from with its SHA-256: bin/kanade.js runs the
// bundle only while they all still match, and the sources otherwise.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
// Two folders deep, like src/cli/: version.ts finds package.json at ../../package.json from either.
const out = join(root, 'dist/agent/main.js');

let esbuild: typeof import('esbuild');
try {
  esbuild = await import('esbuild');
} catch {
  // An install without devDependencies: agents run from the TypeScript sources.
  console.error('kanade: esbuild is not installed; not bundling the agent (kanade agent runs the sources)');
  process.exit(0);
}
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/cli/agentMain.ts'],
  outdir: dirname(out),
  entryNames: 'main',
  // Modules the agent imports only when asked (the metrics endpoint and prom-client, execa's runner
  // of processes) become chunks of their own, loaded then and not at start.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // execa is loaded when a command runs, not at start; native modules cannot be bundled.
  external: ['execa', 'better-sqlite3'],
  metafile: true,
  legalComments: 'none',
  // CommonJS dependencies (tweetnacl, prom-client…) call require() for Node's modules.
  banner: {
    js: "import { createRequire as __kanadeRequire } from 'node:module'; const require = __kanadeRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const sha256 = (file: string) =>
  createHash('sha256')
    .update(readFileSync(join(root, file)))
    .digest('hex');
const inputs = [...Object.keys(result.metafile.inputs), 'package-lock.json'].sort();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  join(dirname(out), 'sources.json'),
  `${JSON.stringify({ inputs: Object.fromEntries(inputs.map((f) => [f, sha256(f)])) }, null, 1)}\n`,
);
console.error(`kanade: bundled the agent into dist/agent/main.js (${inputs.length} inputs)`);

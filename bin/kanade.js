#!/usr/bin/env node
// Plain JavaScript, so an old Node gets a clear message instead of failing on the TypeScript sources.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`kanade needs Node.js 22.18 or newer (24 LTS recommended); this is ${process.versions.node}.\n`);
  process.exit(1);
}

// `kanade agent` runs the bundle `npm run build` made (dist/agent/: plain JavaScript, no TypeScript
// stripper, only the modules an agent loads) while every file it was built from is unchanged;
// otherwise, or with KANADE_AGENT_FROM_SOURCES=1, the TypeScript sources, like every other command.
const bundledAgent = () => {
  if (process.argv[2] !== 'agent' || process.env.KANADE_AGENT_FROM_SOURCES === '1') return undefined;
  const root = new URL('../', import.meta.url);
  try {
    const { inputs } = JSON.parse(readFileSync(new URL('dist/agent/sources.json', root), 'utf8'));
    for (const [file, sum] of Object.entries(inputs)) {
      if (
        createHash('sha256')
          .update(readFileSync(new URL(file, root)))
          .digest('hex') !== sum
      ) {
        process.stderr.write(`kanade: the agent bundle is older than ${file}; running the sources (npm run build)\n`);
        return undefined;
      }
    }
    return new URL('dist/agent/main.js', root);
  } catch {
    return undefined; // never built (or half removed): the sources
  }
};

// The bundled agent runs with V8 set for a small idle footprint (docs/architecture.md, "Scale and
// performance"): a 1 MiB young generation instead of up to 16 MiB per semi-space, and no JIT — the
// interpreter only, whose code and compiler pages then never become resident; an agent spends its
// time waiting, and what it computes per command (signatures, JSON) is native. The process replaces
// itself with one started with the flags (same pid, so service managers see one process). Flags the
// operator gave Node (on the command line or in NODE_OPTIONS) win; KANADE_AGENT_NODE_FLAGS replaces
// the default (empty: none). Not on Windows, which has no execve.
const AGENT_NODE_FLAGS = '--max-semi-space-size=1 --jitless';
const withAgentFlags = () => {
  const flags = (process.env.KANADE_AGENT_NODE_FLAGS ?? AGENT_NODE_FLAGS).split(/\s+/).filter(Boolean);
  const chosen = process.execArgv.length > 0 || (process.env.NODE_OPTIONS ?? '') !== '';
  if (flags.length === 0 || chosen || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...flags, ...process.argv.slice(1)], process.env);
};

const agent = bundledAgent();
if (agent !== undefined) withAgentFlags();
await import(agent?.href ?? '../src/cli/main.ts');

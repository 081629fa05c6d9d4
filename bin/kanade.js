#!/usr/bin/env node
// Plain JavaScript, so an old Node gets a clear message instead of failing on the TypeScript sources.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`kanade needs Node.js 22.18 or newer (24 LTS recommended); this is ${process.versions.node}.\n`);
  process.exit(1);
}
await import('../src/cli/main.ts');

/** Layer rules: the domain is pure; everything points inward; production code never uses test helpers. */
const layer = (name) => `^src/${name}/`;
const notTests = '\\.test\\.ts$';
const contract = '^src/api/contract\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing outside itself: no node:*, no npm packages, no other layer',
      severity: 'error',
      from: { path: layer('domain'), pathNot: notTests },
      to: { pathNot: layer('domain') },
    },
    {
      name: 'manifests-only-need-the-domain',
      severity: 'error',
      from: { path: layer('manifests'), pathNot: notTests },
      to: { path: '^src/(infra|projections|api|cli|server|agent|web)/' },
    },
    {
      name: 'infra-knows-no-application',
      severity: 'error',
      from: { path: layer('infra'), pathNot: notTests },
      to: { path: '^src/(manifests|projections|api|app|cli|server|agent|web)/' },
    },
    {
      name: 'projections-serve-the-edges',
      severity: 'error',
      from: { path: layer('projections'), pathNot: notTests },
      to: { path: '^src/(manifests|api|cli|server|agent|web)/' },
    },
    {
      name: 'use-cases-serve-the-edges',
      comment: 'src/app holds use cases the API and the server roles share: it knows neither of them',
      severity: 'error',
      from: { path: layer('app'), pathNot: notTests },
      to: { path: '^src/(api|cli|server|agent|web)/' },
    },
    {
      name: 'api-is-not-the-cli',
      severity: 'error',
      from: { path: '^src/(api|server|agent|web)/', pathNot: notTests },
      to: { path: layer('cli') },
    },
    {
      name: 'web-is-a-client-of-the-api',
      comment: 'the dashboard talks to the HTTP API only (in process), like any other client',
      severity: 'error',
      from: { path: layer('web'), pathNot: notTests },
      to: { path: '^src/(api|app|server|projections|infra|agent|cli|manifests)/', pathNot: contract },
    },
    {
      name: 'the-api-contract-is-types-only',
      comment: "clients read the API's answer types (src/api/contract.ts) and nothing else of the server",
      severity: 'error',
      from: { path: '^src/(web|cli)/', pathNot: notTests },
      to: { path: contract, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-test-helpers-in-production',
      severity: 'error',
      from: { path: '^src/', pathNot: [notTests, layer('testing')] },
      to: { path: layer('testing') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from './agent.ts';
import { createServerMetrics } from './server.ts';

type Panel = { type: string; title: string; targets?: { expr: string }[] };
const dashboard = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../../docs/grafana-dashboard.json'), 'utf8'),
) as { panels: Panel[] };
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const used = new Set(exprs.flatMap((e) => e.match(/\bkanade_[a-z_]+/g) ?? []));

const defined = async () => {
  const server = createServerMetrics();
  const agent = createAgentMetrics();
  const metrics = [...(await server.registry.getMetricsAsJSON()), ...(await agent.registry.getMetricsAsJSON())];
  return metrics.filter((m) => m.name.startsWith('kanade_'));
};

describe('the Grafana dashboard (docs/grafana-dashboard.json)', () => {
  it('queries only metrics kanade defines, and every one of them', async () => {
    const metrics = await defined();
    const names = new Set(
      metrics.flatMap((m) =>
        String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`] : [m.name],
      ),
    );
    expect([...used].filter((name) => !names.has(name))).toEqual([]);
    const shown = (name: string) => [...used].some((u) => u === name || u.startsWith(`${name}_`));
    expect(metrics.map((m) => m.name).filter((name) => !shown(name))).toEqual([]);
  });

  it('takes quantiles from histogram buckets, and gives every panel a query', () => {
    const quantiles = exprs.filter((e) => e.includes('histogram_quantile'));
    expect(quantiles.length).toBeGreaterThanOrEqual(3);
    for (const e of quantiles)
      expect(e).toMatch(/histogram_quantile\(0\.\d+, sum by \(le[^)]*\) \(rate\(kanade_\w+_bucket/);
    for (const p of dashboard.panels.filter((p) => p.type !== 'row'))
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
  });
});

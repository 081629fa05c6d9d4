import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition, samplesOf, sampleValue } from './prometheus.ts';

describe('the exposition parser (for tests)', () => {
  it('reads what prom-client writes: counters with labels, histograms, escapes', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'c_total',
      help: 'a "counter"\nhelp',
      labelNames: ['l'],
      registers: [registry],
    });
    counter.inc({ l: 'a "quoted" \\ value\nnext' }, 2);
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', buckets: [0.1, 1], registers: [registry] });
    histogram.observe(0.5);
    const families = parseExposition(await registry.metrics());
    expect(families.get('c_total')?.type).toBe('counter');
    expect(families.get('c_total')?.help).toBe('a "counter"\nhelp');
    expect(sampleValue(families, 'c_total', { l: 'a "quoted" \\ value\nnext' })).toBe(2);
    expect(families.get('h_seconds')?.type).toBe('histogram');
    expect(samplesOf(families, 'h_seconds', {}, 'h_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      ['0.1', 0],
      ['1', 1],
      ['+Inf', 1],
    ]);
    expect(sampleValue(families, 'h_seconds', {}, 'h_seconds_count')).toBe(1);
    expect(sampleValue(families, 'h_seconds', {}, 'h_seconds_sum')).toBe(0.5);
  });

  it('takes timestamps and special values, and refuses what is not the format, naming the line', () => {
    const families = parseExposition('# TYPE g gauge\ng{a="1"} +Inf 1700000000\ng{a="2"} NaN\n');
    expect(sampleValue(families, 'g', { a: '1' })).toBe(Number.POSITIVE_INFINITY);
    expect(() => parseExposition('ok 1\nbad{a=1} 2')).toThrow(/line 2: bad label/);
    expect(() => parseExposition('x{a="1"\n')).toThrow(/line 1/);
    expect(() => parseExposition('x one')).toThrow(/line 1: "one" is not a number/);
    expect(() => parseExposition('x 1 2 3')).toThrow(/line 1: expected a value/);
    expect(() => parseExposition('x{a="\\q"} 1')).toThrow(/bad escape/);
    expect(() => parseExposition(`x{a="${'y'.repeat(70_000)}"} 1`)).toThrow(/longer than/);
    expect(() => sampleValue(families, 'missing')).toThrow(/no metric family missing/);
  });
});

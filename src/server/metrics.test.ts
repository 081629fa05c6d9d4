import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../infra/eventStore/index.ts';
import { createServerMetrics } from '../infra/metrics/server.ts';
import { executionsProjection } from '../projections/executions/executionsProjection.ts';
import { parseExposition, sampleValue } from '../testing/prometheus.ts';
import { observeRunners, skipReason } from './metrics.ts';

const START = Date.parse('2026-12-02T10:00:00Z');
const at = (ms: number) => new Date(START + ms).toISOString();
const message = (seq: number, storedMs: number, subject = `kanade.ev.run.pc-a.r${seq}`) => ({
  subject,
  seq,
  timestamp: at(storedMs),
  string: () => '',
});
const event = (seq: number, type: string, stream = `run-pc-a/r${seq}`): RecordedEvent => ({
  type,
  schema: 1,
  data: {},
  seq,
  index: 0,
  stream,
  commitId: `c${seq}`,
  actor: 'agent:pc-a',
  at: at(0),
});
const histogramCount = async (metrics: ReturnType<typeof createServerMetrics>) =>
  sampleValue(
    parseExposition(await metrics.registry.metrics()),
    'kanade_result_latency_seconds',
    {},
    'kanade_result_latency_seconds_count',
  );

describe('server metrics › the runner observer', () => {
  it('times each RunFinished appended since the start once, and counts applied events per projection', async () => {
    const metrics = createServerMetrics();
    const observer = observeRunners(metrics, 1); // the head when the server started
    const projections = [executionsProjection];
    observer.received(message(1, -5_000)); // in the stream before this server started: not timed
    observer.received(message(2, 10));
    observer.received(message(3, 20, 'kanade.ev.job.echo'));
    observer.applied(
      [event(1, 'RunFinished'), event(2, 'RunFinished'), event(3, 'JobRegistered', 'job-echo')],
      projections,
    );
    expect(await histogramCount(metrics)).toBe(1);
    // A rebuild reads the same history again: nothing is timed twice.
    observer.received(message(2, 10));
    observer.applied([event(2, 'RunFinished')], projections);
    observer.received(message(4, 30));
    observer.applied([event(4, 'RunStarted'), event(5, 'RunFinished')], projections); // 5 was never received: not timed
    expect(await histogramCount(metrics)).toBe(1);
    const text = parseExposition(await metrics.registry.metrics());
    expect(sampleValue(text, 'kanade_events_applied_total', { projection: 'executions' })).toBe(6);
  });
});

describe('server metrics › skip reasons', () => {
  it('become a small set of labels, whatever names the text carries', () => {
    expect(skipReason('missed: no scheduler was running')).toBe('missed');
    expect(skipReason('missed: no scheduler was running (counting stopped there)')).toBe('missed');
    expect(skipReason('the fleet is halted')).toBe('fleet_halted');
    expect(skipReason('job backup-db is revoked')).toBe('job_revoked');
    expect(skipReason('job backup-db is not in the catalog')).toBe('job_missing');
    expect(skipReason('no approved agent is pc-zz (did you mean pc-a?)')).toBe('request_refused');
  });
});

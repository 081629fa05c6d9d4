import { describe, expect, it } from 'vitest';
import { parseClusterSize, parseReplicas } from './devCluster.ts';
import { UsageError } from './errors.ts';

describe('--replicas and --cluster', () => {
  it('take whole numbers JetStream can use, and say what is wrong with anything else', () => {
    expect(parseReplicas(undefined)).toBeUndefined();
    expect(parseReplicas('3')).toBe(3);
    for (const bad of ['0', '6', '2.5', 'three', '-1'])
      expect(() => parseReplicas(bad)).toThrow(
        new UsageError(`--replicas (KANADE_REPLICAS) must be a whole number from 1 to 5, not ${bad}`),
      );
    expect(parseClusterSize(undefined)).toBe(1);
    expect(parseClusterSize('3')).toBe(3);
    for (const bad of ['0', '6', 'x'])
      expect(() => parseClusterSize(bad)).toThrow(/--cluster must be a whole number from 1 to 5/);
  });
});

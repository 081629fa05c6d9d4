import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../infra/eventStore/index.ts';
import { subjectOf } from '../../infra/eventStore/subjects.ts';
import { mayChangeViews, viewChanges } from './agentViews.ts';

const at = (type: string, data: Record<string, unknown>): RecordedEvent => ({
  type,
  data,
  schema: 1,
  seq: 7,
  index: 0,
  stream: 'x-y',
  commitId: 'c',
  actor: 'alice',
  at: '2026-11-22T10:00:00.000Z',
});
const key = (pc: string) => `k:${pc}`;

describe('agent views', () => {
  it('mark registered and unrevoked jobs active, revoked and deleted ones revoked', () => {
    expect(viewChanges(at('JobRegistered', { job_id: 'a' }), key)).toEqual([
      { bucket: 'jobStatus', key: 'a', value: 'ACTIVE' },
    ]);
    expect(viewChanges(at('JobRevoked', { job_id: 'a' }), key)).toEqual([
      { bucket: 'jobStatus', key: 'a', value: 'REVOKED' },
    ]);
    expect(viewChanges(at('JobDeleted', { job_id: 'a' }), key)).toEqual([
      { bucket: 'jobStatus', key: 'a', value: 'REVOKED' },
    ]);
    expect(viewChanges(at('JobUnrevoked', { job_id: 'a' }), key)).toEqual([
      { bucket: 'jobStatus', key: 'a', value: 'ACTIVE' },
    ]);
  });

  it('leave a revoked job revoked when it is updated', () =>
    expect(viewChanges(at('JobUpdated', { job_id: 'a' }), key)).toEqual([]));

  it('publish group membership under the agent key', () =>
    expect(viewChanges(at('AgentGroupsSet', { pc_id: 'pc.1', groups: ['a', 'b'] }), key)).toEqual([
      { bucket: 'groups', key: 'k:pc.1', value: '{"groups":["a","b"]}' },
    ]));

  it('mirror the emergency stop to the halt flag', () => {
    expect(viewChanges(at('FleetHalted', { reason: 'bad', kill_running: true }), key)).toEqual([
      {
        bucket: 'fleet',
        key: 'halt',
        value: '{"halted":true,"reason":"bad","kill_running":true,"at":"2026-11-22T10:00:00.000Z","by":"alice"}',
      },
    ]);
    expect(viewChanges(at('FleetResumed', {}), key)).toEqual([
      { bucket: 'fleet', key: 'halt', value: '{"halted":false,"at":"2026-11-22T10:00:00.000Z","by":"alice"}' },
    ]);
  });

  it('mark killed execs with who and when', () =>
    expect(viewChanges(at('KillRequested', { exec_id: 'e1', reason: 'oops' }), key)).toEqual([
      { bucket: 'kills', key: 'e1', value: '{"at":"2026-11-22T10:00:00.000Z","by":"alice","reason":"oops"}' },
    ]));

  it('skip the subjects of runs and facts unread, and only those: their events change no view', () => {
    expect(viewChanges(at('RunStarted', { pc_id: 'pc.1' }), key)).toEqual([]);
    expect(viewChanges(at('RunFinished', { pc_id: 'pc.1' }), key)).toEqual([]);
    expect(viewChanges(at('FactsReported', { pc_id: 'pc.1' }), key)).toEqual([]);
    expect(mayChangeViews(subjectOf('run-pc.1/r1'))).toBe(false);
    expect(mayChangeViews(subjectOf('facts-pc.1'))).toBe(false);
    // every stream an event with a case in viewChanges is appended to
    for (const stream of ['job-a', 'agent-pc.1', 'exec-e1', 'fleet-global', 'config-global'])
      expect(mayChangeViews(subjectOf(stream)), stream).toBe(true);
  });
});

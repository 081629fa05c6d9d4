import { describe, expect, it } from 'vitest';
import { parseCommand } from './commandPayload.ts';
import { createSlots } from './slots.ts';

describe('slots', () => {
  it('grow at once for waiters, and shrink by admitting nothing new until fewer run', async () => {
    const slots = createSlots(1);
    await slots.acquire();
    let second = false;
    const waiting = slots.acquire().then(() => {
      second = true;
    });
    slots.resize(2);
    await waiting;
    expect(second).toBe(true); // a larger size let the waiter in

    slots.resize(1); // two run, one allowed
    expect(slots.free()).toBe(false);
    slots.release(); // one ends: still at the new size, nothing frees up
    expect(slots.free()).toBe(false);
    slots.release(); // the other ends: one slot free
    expect(slots.free()).toBe(true);
    await slots.acquire();
    expect(slots.free()).toBe(false);
  });
});

describe('a command that leaves staleness to the agent', () => {
  const command = (staleness: unknown) =>
    JSON.stringify({
      id: 'adhoc-run',
      version: '0.0.0',
      request_id: 'r',
      exec_id: 'e',
      shell: 'sh',
      timeout_secs: 5,
      staleness,
    });

  it("gets the agent's default policy; a job's own policy stays as it is", () => {
    const strict = { mode: 'strict', max_cache_age_secs: 60 } as const;
    expect(parseCommand(command({ mode: 'agent' }), strict)?.staleness).toEqual(strict);
    expect(parseCommand(command({ mode: 'agent' }))?.staleness).toEqual({ mode: 'cached' });
    expect(parseCommand(command({ mode: 'unchecked' }), strict)?.staleness).toEqual({ mode: 'unchecked' });
  });
});

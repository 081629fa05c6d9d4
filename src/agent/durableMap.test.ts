import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCommandJournal } from './commandJournal.ts';
import { openDurableMap, readDurableMap } from './durableMap.ts';
import { openOutbox } from './outbox.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kanade-durable-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('durable map', () => {
  it('gives back after a reopen what was set and not deleted, in the order it was first set', () => {
    const file = join(dir, 'm.log');
    const map = openDurableMap<{ n: number }>(file);
    map.set('b', { n: 1 });
    map.set('a', { n: 2 });
    map.set('c', { n: 3 });
    map.set('b', { n: 4 });
    map.delete('c', { sync: false });
    map.close();
    const again = openDurableMap<{ n: number }>(file);
    expect([...again.entries()]).toEqual([
      ['b', { n: 4 }],
      ['a', { n: 2 }],
    ]);
    again.close();
  });

  it('drops a last line a crash cut short, and appends the next change on a line of its own', () => {
    const file = join(dir, 'm.log');
    const map = openDurableMap<string>(file);
    map.set('kept', 'yes');
    map.close();
    appendFileSync(file, '{"k":"torn","v":"half'); // the write a crash interrupted
    const again = openDurableMap<string>(file);
    expect(again.has('torn')).toBe(false);
    again.set('next', 'fine');
    again.close();
    expect([...readDurableMap<string>(file)]).toEqual([
      ['kept', 'yes'],
      ['next', 'fine'],
    ]);
  });

  it('hands a damaged line to `unreadable` and reads every other line', () => {
    const file = join(dir, 'm.log');
    writeFileSync(file, '{"k":"a","v":1}\nnot json\n{"v":2}\n{"k":"b","v":3}\n');
    const damaged: string[] = [];
    const map = openDurableMap<number>(file, { unreadable: (text) => damaged.push(text) });
    expect([...map.entries()]).toEqual([
      ['a', 1],
      ['b', 3],
    ]);
    expect(damaged).toEqual(['not json', '{"v":2}']);
    map.close();
  });

  it('stays about as small as what it holds: emptied when nothing is left, rewritten with what is live', () => {
    const file = join(dir, 'm.log');
    const map = openDurableMap<string>(file);
    const filler = 'y'.repeat(1000);
    const churn = (from: number) => {
      for (let i = from; i < from + 600; i++) {
        map.set(`k${i}`, filler);
        map.delete(`k${i}`, { sync: false });
      }
    };
    churn(0); // 600 kB of changes with nothing left
    expect(map.bytes()).toBeLessThan(257 * 1024);
    expect(statSync(file).size).toBe(map.bytes());
    map.set('long-lived', 'stays');
    churn(600);
    expect(map.bytes()).toBeLessThan(257 * 1024);
    expect(statSync(file).size).toBe(map.bytes());
    map.close();
    expect([...readDurableMap<string>(file)]).toEqual([['long-lived', 'stays']]);
  });

  it('refuses a change once closed, loudly', () => {
    const map = openDurableMap<string>(join(dir, 'm.log'));
    map.close();
    expect(() => map.set('late', 'x')).toThrow(/closed/);
  });
});

describe('the command journal and the outbox of an older agent', () => {
  it('take up the entry files of the layout before the durable map, then remove them', () => {
    const journalDir = join(dir, 'journal');
    const outboxDir = join(dir, 'outbox');
    openCommandJournal(journalDir).close();
    openOutbox(outboxDir).close();
    const entry = { state: 'accepted', command: { id: 'job' }, accepted_at: '2026-12-02T00:00:00.000Z' };
    writeFileSync(join(journalDir, 'res-1.json'), JSON.stringify(entry));
    writeFileSync(join(journalDir, 'broken.json'), '{');
    const message = { subject: 'kanade.ev.run.x', msgId: 'm1', body: '{}', kind: 'event' };
    writeFileSync(join(outboxDir, '01OLD.json'), JSON.stringify(message));
    writeFileSync(join(outboxDir, '01OLE.json'), 'garbage');

    const journal = openCommandJournal(journalDir);
    expect(journal.leftovers()).toEqual([{ resultId: 'res-1', entry }]);
    journal.close();
    expect(readFileSync(join(journalDir, 'broken.json'), 'utf8')).toBe('{'); // kept for a human
    expect(openCommandJournal(journalDir).leftovers()).toHaveLength(1); // taken once, not twice

    const outbox = openOutbox(outboxDir);
    expect(outbox.pending()).toEqual(['01OLD.json']);
    expect(outbox.read('01OLD.json')).toEqual(message);
    expect(outbox.deadLetters()).toBe(1);
    expect(readFileSync(join(outboxDir, 'dead', '01OLE.json'), 'utf8')).toBe('garbage');
    outbox.close();
  });

  it('the outbox buries an entry the drain cannot send, and keeps the rest in order', () => {
    const outbox = openOutbox(join(dir, 'outbox'));
    outbox.enqueue({ subject: 's', msgId: '1', body: 'a', kind: 'event' });
    outbox.enqueue({ subject: 's', msgId: '2', body: 'b', kind: 'event' });
    const [first, second] = outbox.pending();
    outbox.bury(first as string);
    expect(outbox.pending()).toEqual([second]);
    expect(outbox.depth()).toBe(1);
    expect(outbox.deadLetters()).toBe(1);
    outbox.close();
    const again = openOutbox(join(dir, 'outbox'));
    expect(again.pending().map((n) => again.read(n).msgId)).toEqual(['2']);
    again.close();
  });
});

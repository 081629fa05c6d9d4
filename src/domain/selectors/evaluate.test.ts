import { describe, expect, it } from 'vitest';
import type { Subject } from './ast.ts';
import { matches } from './evaluate.ts';
import { parseSelector } from './parser.ts';

const windows: Subject = {
  pc_id: 'pc-1',
  groups: ['lab', 'canary'],
  facts: {
    os: { family: 'windows', name: 'Windows 11 Pro', build: 22631 },
    disk: { free_gb: 8.5 },
    cpu: { count: 8 },
    memory: { total_gb: 16 },
    openssl: { version: '3.0.13' },
    laptop: true,
    numeric_text: '10',
    ports: [22, 443],
    tags: ['a b', 'c'],
    nothing: null,
    inventory: { 'inventory-linux': { disks: [{ mount: '/', free_bytes: 1024 }] } },
  },
};

const holds = (text: string, subject: Subject = windows): boolean => {
  const r = parseSelector(text);
  if (!r.ok) throw new Error(`${text}: ${r.issues.map((i) => i.message).join('; ')}`);
  return matches(r.selector, subject);
};

describe('selector evaluation › operators', () => {
  it.each([
    ['os.family == "windows"', true],
    ['os.family == "Windows"', false],
    ['os.family != "linux"', true],
    ['os.family != "windows"', false],
    ['disk.free_gb < 10', true],
    ['disk.free_gb < 8.5', false],
    ['disk.free_gb <= 8.5', true],
    ['cpu.count > 8', false],
    ['cpu.count >= 8', true],
    ['laptop == true', true],
    ['laptop != false', true],
    ['pc_id in ["pc-1", "pc-2"]', true],
    ['pc_id in ["pc-3"]', false],
    ['pc_id in []', false],
    ['"lab" in groups', true],
    ['groups contains "canary"', true],
    ['groups contains "wave1"', false],
    ['443 in ports', true],
    ['os.name contains "11"', true],
    ['"Pro" in os.name', true],
    ['openssl.version startswith "3.0"', true],
    ['openssl.version startswith "3.1"', false],
    ['os.name ~ "Windows*"', true],
    ['os.name ~ "windows*"', false],
    ['os.name ~ "Windows ?? Pro"', true],
    ['os.name ~ "*11*"', true],
    ['os.name ~ "Windows"', false],
    ['inventory["inventory-linux"].disks[0].free_bytes > 1000', true],
    ['facts.inventory["inventory-linux"].disks[0].mount == "/"', true],
    ['inventory["inventory-linux"].disks[1].mount == "/"', false],
  ])('%s is %s', (text, expected) => expect(holds(text)).toBe(expected));

  it('combines with and, or and not, by precedence', () => {
    expect(holds('os.family == "windows" and disk.free_gb < 10 and "lab" in groups')).toBe(true);
    expect(holds('cpu.count >= 16 or memory.total_gb >= 16')).toBe(true);
    expect(holds('cpu.count >= 16 or memory.total_gb > 16')).toBe(false);
    expect(holds('not (os.name ~ "Debian*")')).toBe(true);
    expect(holds('not os.family == "windows" or laptop == true')).toBe(true);
    expect(holds('not (os.family == "windows" or laptop == true)')).toBe(false);
    expect(holds('laptop == false and cpu.count == 8 or pc_id == "pc-1"')).toBe(true);
    expect(holds('laptop == false and (cpu.count == 8 or pc_id == "pc-1")')).toBe(false);
    expect(holds('not not laptop == true')).toBe(true);
  });
});

describe('selector evaluation › missing fields and types', () => {
  it.each([
    'missing == "x"',
    'missing != "x"',
    'missing < 1',
    'missing >= 1',
    'missing in ["x"]',
    'missing contains "x"',
    '"x" in missing',
    'missing startswith ""',
    'missing ~ "*"',
    'os.missing != "x"',
    'os.family.deeper != "x"',
    'nothing != "x"',
    'nothing == 0',
    'nothing ~ "*"',
  ])('%s never matches', (text) => expect(holds(text)).toBe(false));

  it('lets not (x == v) hold for a missing field, where x != v does not', () => {
    expect(holds('not (missing == "x")')).toBe(true);
    expect(holds('missing != "x"')).toBe(false);
  });

  it.each([
    'numeric_text == 10',
    'numeric_text != 10',
    'numeric_text > 5',
    'numeric_text in [10]',
    'cpu.count == "8"',
    'cpu.count != "8"',
    'cpu.count startswith "8"',
    'cpu.count ~ "*"',
    'laptop == 1',
    'laptop == "true"',
    '"22" in ports',
    'os == "windows"',
    'ports == 22',
    'ports contains "22"',
    'os.name contains 11',
  ])('%s: no coercion between types', (text) => expect(holds(text)).toBe(false));

  it('indexes only lists, and names only objects', () => {
    expect(holds('ports[1] == 443')).toBe(true);
    expect(holds('facts["ports"]["1"] == 443')).toBe(false);
    expect(holds('ports.length == 2')).toBe(false);
    expect(holds('os[0] == "x"')).toBe(false);
    expect(holds('pc_id.length == 4')).toBe(false);
    expect(holds('groups[0] == "lab"')).toBe(true);
  });

  it('reads facts that are not an object as having no fields', () => {
    for (const facts of [undefined, null, 42, 'os', [], [{ os: 1 }], true]) {
      expect(holds('os == 1', { pc_id: 'p', groups: [], facts })).toBe(false);
      expect(holds('not (os == 1)', { pc_id: 'p', groups: [], facts })).toBe(true);
      expect(holds('"p" in pc_id', { pc_id: 'p', groups: [], facts })).toBe(true);
    }
  });
});

describe('selector evaluation › hostile facts', () => {
  const subject = (facts: unknown): Subject => ({ pc_id: 'p', groups: [], facts });

  it('reads own properties only: nothing from the prototype', () => {
    const facts = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": {}}');
    expect(holds('facts.__proto__.polluted == "yes"', subject(facts))).toBe(true);
    expect(holds('polluted == "yes"', subject(facts))).toBe(false);
    expect(holds('a.polluted == "yes"', subject(facts))).toBe(false);
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(holds(`a.${name} != "x"`, subject(facts))).toBe(false);
      expect(holds(`a.${name} ~ "*"`, subject(facts))).toBe(false);
    }
    expect(holds('a.constructor.name == "Object"', subject(facts))).toBe(false);
  });

  it('never calls a getter, and matches nothing when reading throws', () => {
    let called = false;
    const getter = Object.defineProperty({}, 'x', {
      get: () => {
        called = true;
        return 1;
      },
      enumerable: true,
    });
    expect(holds('x == 1', subject(getter))).toBe(false);
    expect(called).toBe(false);
    const trap = new Proxy(
      {},
      {
        getOwnPropertyDescriptor: () => {
          throw new Error('trap');
        },
      },
    );
    expect(holds('x == 1', subject(trap))).toBe(false);
    expect(holds('not (x == 1)', subject(trap))).toBe(false);
  });

  it('is untroubled by deep nesting, huge lists and long strings', () => {
    let deep: unknown = { leaf: 1 };
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(holds('d.d.d.d == 1', subject(deep))).toBe(false);
    expect(holds('d ~ "*"', subject(deep))).toBe(false);
    const huge = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(holds('999999 in list', subject({ list: huge }))).toBe(true);
    expect(holds('list contains -1', subject({ list: huge }))).toBe(false);
    expect(holds('list[4294967294] == 1', subject({ list: huge }))).toBe(false);
    const long = 'a'.repeat(1_000_000);
    expect(holds(`s ~ "*${'a?'.repeat(60)}b*"`, subject({ s: long }))).toBe(false);
    expect(holds('s ~ "*a*a*a*a*a*a*a*a*a*a*a*a*b"', subject({ s: long }))).toBe(false);
  });

  it('does not read array holes through the prototype', () => {
    const holes: unknown[] = [1];
    holes[2] = 3;
    expect(holds('list contains 2', subject({ list: holes }))).toBe(false);
    expect(holds('list[1] != 2', subject({ list: holes }))).toBe(false);
  });
});

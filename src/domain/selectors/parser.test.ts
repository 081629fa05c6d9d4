import { describe, expect, it } from 'vitest';
import type { FieldPath, Selector } from './ast.ts';
import { parseSelector } from './parser.ts';

const fact = (...segments: (string | number)[]): FieldPath => ({ root: 'facts', segments });
const groups: FieldPath = { root: 'groups', segments: [] };
const pcId: FieldPath = { root: 'pc_id', segments: [] };

const parsed = (text: string): Selector => {
  const r = parseSelector(text);
  if (!r.ok) throw new Error(`${text}: ${r.issues.map((i) => i.message).join('; ')}`);
  return r.selector;
};
const eq = (path: FieldPath, value: string | number | boolean): Selector => ({
  kind: 'compare',
  field: path,
  op: '==',
  value,
});

describe('selector parser › comparisons', () => {
  it.each(['==', '!=', '<', '<=', '>', '>='] as const)('reads %s', (op) =>
    expect(parsed(`disk.free_gb ${op} 10`)).toEqual({ kind: 'compare', field: fact('disk', 'free_gb'), op, value: 10 }),
  );

  it('reads strings with escapes, numbers and booleans', () => {
    expect(parsed('a == "say \\"hi\\" \\\\ \\n\\t\\r"')).toEqual(eq(fact('a'), 'say "hi" \\ \n\t\r'));
    expect(parsed('a == -1.5e3')).toEqual(eq(fact('a'), -1500));
    expect(parsed('a == -0')).toEqual(eq(fact('a'), 0));
    expect(parsed('a == true')).toEqual(eq(fact('a'), true));
    expect(parsed('a != false')).toEqual({ kind: 'compare', field: fact('a'), op: '!=', value: false });
  });

  it('reads in with a list literal', () => {
    expect(parsed('pc_id in ["pc-1", "pc-2"]')).toEqual({ kind: 'in', field: pcId, values: ['pc-1', 'pc-2'] });
    expect(parsed('a in [1, "1", true]')).toEqual({ kind: 'in', field: fact('a'), values: [1, '1', true] });
    expect(parsed('a in []')).toEqual({ kind: 'in', field: fact('a'), values: [] });
  });

  it('reads value in field as field contains value', () => {
    const contains: Selector = { kind: 'contains', field: groups, value: 'lab' };
    expect(parsed('"lab" in groups')).toEqual(contains);
    expect(parsed('groups contains "lab"')).toEqual(contains);
    expect(parsed('3 in ports')).toEqual({ kind: 'contains', field: fact('ports'), value: 3 });
  });

  it('reads startswith and ~', () => {
    expect(parsed('openssl.version startswith "3.0"')).toEqual({
      kind: 'startswith',
      field: fact('openssl', 'version'),
      value: '3.0',
    });
    expect(parsed('os.name ~ "Debian*"')).toEqual({ kind: 'glob', field: fact('os', 'name'), pattern: 'Debian*' });
  });
});

describe('selector parser › field paths', () => {
  it('reads a bare name as a fact, and pc_id, groups and facts as roots', () => {
    expect(parsed('os == "x"')).toEqual(eq(fact('os'), 'x'));
    expect(parsed('facts.os == "x"')).toEqual(eq(fact('os'), 'x'));
    expect(parsed('pc_id == "x"')).toEqual(eq(pcId, 'x'));
    expect(parsed('facts.pc_id == "x"')).toEqual(eq(fact('pc_id'), 'x'));
    expect(parsed('facts == 1')).toEqual(eq(fact(), 1));
  });

  it('reads quoted names and list indexes in brackets, and keywords after a dot', () => {
    expect(parsed('facts["inventory-linux"].os == "x"')).toEqual(eq(fact('inventory-linux', 'os'), 'x'));
    expect(parsed('inventory["inventory-linux"].disks[0].mount == "/"')).toEqual(
      eq(fact('inventory', 'inventory-linux', 'disks', 0, 'mount'), '/'),
    );
    expect(parsed('facts["a b"]["" ] == 1')).toEqual(eq(fact('a b', ''), 1));
    expect(parsed('x.in.and.not == 1')).toEqual(eq(fact('x', 'in', 'and', 'not'), 1));
    expect(parsed('facts.__proto__ == 1')).toEqual(eq(fact('__proto__'), 1));
  });
});

describe('selector parser › precedence', () => {
  const [a, b, c] = [eq(fact('a'), 1), eq(fact('b'), 2), eq(fact('c'), 3)];

  it('binds and tighter than or', () => {
    expect(parsed('a == 1 or b == 2 and c == 3')).toEqual({ kind: 'or', terms: [a, { kind: 'and', terms: [b, c] }] });
    expect(parsed('a == 1 and b == 2 or c == 3')).toEqual({ kind: 'or', terms: [{ kind: 'and', terms: [a, b] }, c] });
  });

  it('binds not tighter than and', () =>
    expect(parsed('not a == 1 and b == 2')).toEqual({ kind: 'and', terms: [{ kind: 'not', term: a }, b] }));

  it('lets parentheses override, and flattens what they do not change', () => {
    expect(parsed('(a == 1 or b == 2) and c == 3')).toEqual({ kind: 'and', terms: [{ kind: 'or', terms: [a, b] }, c] });
    expect(parsed('not (a == 1 or b == 2)')).toEqual({ kind: 'not', term: { kind: 'or', terms: [a, b] } });
    expect(parsed('a == 1 and (b == 2 and c == 3)')).toEqual({ kind: 'and', terms: [a, b, c] });
    expect(parsed('((a == 1))')).toEqual(a);
    expect(parsed('not not a == 1')).toEqual({ kind: 'not', term: { kind: 'not', term: a } });
  });

  it('reads white space and line breaks anywhere between tokens', () =>
    expect(parsed('\n  a==1\r\n\tand\n(b == 2)  ')).toEqual({ kind: 'and', terms: [a, b] }));
});

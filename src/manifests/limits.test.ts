import { describe, expect, it } from 'vitest';
import { parseJobsJson, parseJobsYaml } from './jobManifests.ts';
import { capIssues, INPUT_LIMITS, jsonLimitProblem, yamlLimitProblem } from './limits.ts';
import { parseYamlDocuments } from './yamlDocuments.ts';

const job = (id: string) => `id: ${id}\nversion: "1"\nexecute:\n  shell: sh\n  script: echo hi\n  timeout: 30s\n`;

// A "billion laughs": few aliases in the text, 9^9 values once expanded.
const laughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((k, i) => {
    const prev = 'abcdefghi'[i] as string;
    return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
].join('\n');

describe('YAML limits', () => {
  it('take what manifests need: the sample catalog, a block scalar full of brackets', () => {
    expect(yamlLimitProblem(`${job('a')}---\n${job('b')}`)).toBeUndefined();
    const brackets = job('c').replace('script: echo hi', `script: |\n    ${'[['.repeat(200)}`);
    expect(parseJobsYaml(brackets).ok).toBe(true);
  });

  it('refuse nesting past the limit, where it happens', () => {
    const depth = INPUT_LIMITS.depth;
    expect(yamlLimitProblem(`x: ${'['.repeat(depth)}${']'.repeat(depth)}`)).toBeUndefined();
    expect(yamlLimitProblem(`a: 1\nx: ${'['.repeat(depth + 1)}${']'.repeat(depth + 1)}`)).toEqual({
      path: '',
      message: `nested deeper than ${depth} levels`,
      line: 2,
      column: 4 + depth,
    });
    expect(yamlLimitProblem(`${'- '.repeat(300)}x\n`)?.message).toMatch(/^nested too deeply/);
    const indented = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n');
    expect(yamlLimitProblem(`${indented} x\n`)?.message).toMatch(/^nested too deeply/);
  });

  it('refuse too many documents, values or aliases', () => {
    expect(
      yamlLimitProblem(
        Array(INPUT_LIMITS.documents + 1)
          .fill('a: 1')
          .join('\n---\n'),
      )?.message,
    ).toBe(`more than ${INPUT_LIMITS.documents} documents in one request`);
    expect(
      yamlLimitProblem(
        `[${Array(INPUT_LIMITS.nodes + 1)
          .fill('1')
          .join(',')}]`,
      )?.message,
    ).toMatch(/values/);
    expect(
      yamlLimitProblem(
        `a: &a 1\nb: [${Array(INPUT_LIMITS.aliases + 1)
          .fill('*a')
          .join(',')}]`,
      ),
    ).toMatchObject({
      message: `more than ${INPUT_LIMITS.aliases} aliases`,
      line: 2,
    });
  });

  it('turn an alias bomb and an unresolved alias into problems with a position, not exceptions', () => {
    expect(parseYamlDocuments(laughs)).toEqual({
      documents: [],
      issues: [
        {
          document: 0,
          path: '',
          message: expect.stringMatching(/aliases expand to too many values/),
          line: 1,
          column: 1,
        },
      ],
    });
    const unresolved = parseYamlDocuments('a: 1\nb: *nowhere\n');
    expect(unresolved.documents).toEqual([]);
    expect(unresolved.issues).toEqual([
      expect.objectContaining({ line: expect.any(Number), message: expect.stringMatching(/alias/i) }),
    ]);
    expect(parseJobsYaml(laughs).ok).toBe(false);
  });
});

describe('JSON limits', () => {
  it('count nesting outside strings only, and refuse it past the limit with a position', () => {
    expect(jsonLimitProblem(JSON.stringify({ script: '['.repeat(500) }))).toBeUndefined();
    expect(jsonLimitProblem(`{"a":\n${'['.repeat(INPUT_LIMITS.depth)}${']'.repeat(INPUT_LIMITS.depth)}}`)).toEqual({
      path: '',
      message: `nested deeper than ${INPUT_LIMITS.depth} levels`,
      line: 2,
      column: INPUT_LIMITS.depth,
    });
    expect(jsonLimitProblem('{"a": "\\\\"}')).toBeUndefined();
  });

  it('refuse more manifests than one request may carry', () => {
    const many = JSON.stringify(Array(INPUT_LIMITS.documents + 1).fill({ id: 'x' }));
    expect(jsonLimitProblem(many)?.message).toBe(`more than ${INPUT_LIMITS.documents} manifests in one request`);
    expect(parseJobsJson(Array(INPUT_LIMITS.documents + 1).fill({})).ok).toBe(false);
  });
});

describe('problem lists', () => {
  it('keep the first 100 problems and count the rest', () => {
    const issues = Array.from({ length: 150 }, (_, i) => ({ path: `p${i}`, message: 'bad' }));
    const capped = capIssues(issues);
    expect(capped).toHaveLength(101);
    expect(capped.at(-1)).toEqual({ path: '', message: '… and 50 more problem(s)' });
  });
});

import { describe, expect, it } from 'vitest';
import { parseJobsJson, parseJobsYaml } from './jobManifests.ts';

const echo = `id: echo
version: "1.0.0"
execute:
  shell: sh
  script: echo hello
  timeout: 90 minutes
`;

describe('job manifests', () => {
  describe('when valid', () => {
    it('fills defaults and normalizes durations', () => {
      const parsed = parseJobsYaml(echo);
      expect(parsed).toEqual({
        ok: true,
        value: [
          {
            id: 'echo',
            version: '1.0.0',
            execute: { shell: 'sh', script: 'echo hello', timeout: '1h30m', run_as: 'system' },
            staleness: { mode: 'cached' },
            require_approval: false,
            tags: [],
          },
        ],
      });
    });

    it('reads every document of a stream', () => {
      const parsed = parseJobsYaml(`${echo}---\n${echo.replace('id: echo', 'id: echo2')}---\n`);
      expect(parsed.ok && parsed.value.map((m) => m.id)).toEqual(['echo', 'echo2']);
    });

    it('inlines script_file through the reader', () => {
      const yaml = echo.replace('script: echo hello', 'script_file: scripts/hello.sh');
      const parsed = parseJobsYaml(yaml, { readScriptFile: (p) => ({ ok: true, text: `# from ${p}\necho hi\n` }) });
      expect(parsed.ok && parsed.value[0]?.execute.script).toBe('# from scripts/hello.sh\necho hi\n');
    });
  });

  describe('when invalid', () => {
    it('names an unknown key with its line and column', () => {
      const parsed = parseJobsYaml(echo.replace('  timeout:', '  timout: 1s\n  timeout:'), {
        source: 'jobs/echo.yaml',
      });
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.issues).toEqual([
        {
          document: 0,
          source: 'jobs/echo.yaml',
          path: 'execute.timout',
          message: 'unknown key (did you mean timeout?)',
          line: 6,
          column: 3,
        },
      ]);
    });

    it('reports a syntax error with line and column', () => {
      const parsed = parseJobsYaml('id: echo\nexecute:\n  shell: [sh\n');
      expect(parsed.ok).toBe(false);
      const issue = !parsed.ok ? parsed.issues[0] : undefined;
      expect(issue).toMatchObject({ document: 0, line: expect.any(Number), column: expect.any(Number) });
      expect(issue?.line).toBeGreaterThanOrEqual(3);
    });

    it('reports every problem of every document, with lines counted in the whole file', () => {
      const bad = 'id: "has space"\nversion: 1.0\nexecute:\n  shell: zsh\n  timeout: soon\n';
      const parsed = parseJobsYaml(`${echo}---\n${bad}`);
      expect(!parsed.ok && parsed.issues.map((i) => [i.document, i.path, i.line])).toEqual([
        [1, 'id', 8],
        [1, 'version', 9],
        [1, 'execute.shell', 11],
        [1, 'execute.timeout', 12],
      ]);
    });

    it('says a missing key is required', () => {
      const parsed = parseJobsYaml(echo.replace('version: "1.0.0"\n', ''));
      expect(!parsed.ok && parsed.issues).toEqual([
        { document: 0, path: 'version', message: 'is required', line: 1, column: 1 },
      ]);
    });

    it('bounds the timeout between 1s and a week', () => {
      const zero = parseJobsYaml(echo.replace('90 minutes', '0s'));
      expect(!zero.ok && zero.issues[0]).toMatchObject({ path: 'execute.timeout', message: 'must be at least 1s' });
      const month = parseJobsYaml(echo.replace('90 minutes', '30d'));
      expect(!month.ok && month.issues[0]).toMatchObject({ path: 'execute.timeout', message: 'must be at most 7d' });
    });

    it('asks to quote a numeric version', () => {
      const parsed = parseJobsYaml(echo.replace('"1.0.0"', '1.0'));
      expect(!parsed.ok && parsed.issues[0]?.message).toMatch(/quote numbers/);
    });

    it('requires exactly one script source', () => {
      const parsed = parseJobsYaml(echo.replace('  script: echo hello\n', ''));
      expect(!parsed.ok && parsed.issues[0]).toMatchObject({
        path: 'execute',
        message: 'exactly one of script and script_file must be set',
      });
    });

    it('refuses script_file when nobody can read the file (the API)', () => {
      const parsed = parseJobsYaml(echo.replace('script: echo hello', 'script_file: hello.sh'));
      expect(!parsed.ok && parsed.issues[0]).toMatchObject({ path: 'execute.script_file', line: 5 });
    });

    it("reports a missing script_file on its line, together with the manifest's other problems", () => {
      const yaml = echo.replace('script: echo hello', 'script_file: nope.sh').replace('shell: sh', 'shell: zsh');
      const parsed = parseJobsYaml(yaml, { readScriptFile: () => ({ ok: false, message: 'cannot read nope.sh' }) });
      expect(!parsed.ok && parsed.issues).toEqual([
        expect.objectContaining({ path: 'execute.shell', line: 4 }),
        { document: 0, path: 'execute.script_file', message: 'cannot read nope.sh', line: 5, column: 3 },
      ]);
    });

    it('suggests the nearest known key for a mistyped one, at any depth', () => {
      const parsed = parseJobsYaml(
        echo.replace('  shell: sh', '  shel: sh').replace('version:', 'descripton: x\nversion:'),
      );
      expect(!parsed.ok && parsed.issues.map((i) => [i.path, i.message, i.line])).toEqual([
        ['descripton', 'unknown key (did you mean description?)', 2],
        ['execute.shell', 'is required', 4],
        ['execute.shel', 'unknown key (did you mean shell?)', 5],
      ]);
      const far = parseJobsYaml(`${echo}colour: red\n`);
      expect(!far.ok && far.issues.map((i) => i.message)).toEqual(['unknown key']);
    });

    it('refuses script_object on its line: script objects do not exist yet', () => {
      const parsed = parseJobsYaml(echo.replace('script: echo hello', 'script_object: tools/1.0'));
      expect(!parsed.ok && parsed.issues).toEqual([
        {
          document: 0,
          path: 'execute.script_object',
          message: expect.stringMatching(/^script objects are not supported yet/),
          line: 5,
          column: 3,
        },
      ]);
    });

    it('refuses a script of blank space, which would succeed without running anything', () => {
      const parsed = parseJobsYaml(echo.replace('script: echo hello', 'script: "  \\n "'));
      expect(!parsed.ok && parsed.issues[0]).toMatchObject({ path: 'execute.script', message: /nothing to run/ });
    });

    it('requires max_cache_age for strict staleness', () => {
      const parsed = parseJobsYaml(`${echo}staleness: { mode: strict }\n`);
      expect(!parsed.ok && parsed.issues[0]?.path).toBe('staleness.max_cache_age');
    });

    it('refuses the same id twice', () => {
      const parsed = parseJobsYaml(`${echo}---\n${echo}`);
      expect(!parsed.ok && parsed.issues).toEqual([
        { document: 1, path: 'id', message: 'job id echo is already defined in document 1', line: 8, column: 1 },
      ]);
    });

    it('gives JSON issues a document index and path', () => {
      const parsed = parseJobsJson([
        { id: 'a', version: '1', execute: { shell: 'sh', script: 'x', timeout: '1s' } },
        { id: 'b' },
      ]);
      expect(!parsed.ok && parsed.issues.map((i) => [i.document, i.path])).toEqual([
        [1, 'version'],
        [1, 'execute'],
      ]);
    });
  });
});

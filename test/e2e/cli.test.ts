import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline } from '../../src/testing/api.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();

/** Runs the real `kanade` CLI against the sandbox server. */
const kanade = (args: string[], env: Record<string, string> = {}) =>
  runKanade(args, {
    KANADE_API_URL: sandbox.server.url,
    KANADE_TOKEN: sandbox.server.token,
    KANADE_DATA_DIR: sandbox.server.dataDir,
    ...env,
  });

describe('kanade job', () => {
  it('applies the sample jobs, then finds them all unchanged', async () => {
    const first = await kanade(['job', 'apply', 'jobs/']);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toContain('4 created, 0 updated, 0 unchanged, 0 deleted');
    const again = await kanade(['job', 'apply', 'jobs/']);
    expect(again.out).toContain('0 created, 0 updated, 4 unchanged, 0 deleted');
  });

  it('refuses schedules naming groups no agent is in, on their lines; applies them once an agent is there', async () => {
    const unknownGroups = await kanade(['schedule', 'apply', 'schedules/']);
    expect(unknownGroups.code).toBe(2);
    expect(unknownGroups.err).toContain(
      'schedules/mirror-sync.yaml:7:20: target.groups[0]: no approved agent is in group canary',
    );
    expect(unknownGroups.err).toContain(
      'schedules/nightly-cleanup.yaml:11:9: rollout.waves[1].group: no approved agent is in group wave1',
    );
    const agentDir = mkdtempSync(join(tmpdir(), 'kanade-cli-agent-'));
    const agent = startAgentProcess({ id: 'pc-cli', groups: ['canary', 'wave1'], sandbox, dataDir: agentDir });
    try {
      await agentsOnline(sandbox, 1);
    } catch (error) {
      await agent.stop();
      throw error;
    }
    await agent.stop(); // approved groups stay known while the agent is away
    const first = await kanade(['schedule', 'apply', 'schedules/']);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toContain('3 created, 0 updated, 0 unchanged, 0 deleted');
    const again = await kanade(['schedule', 'apply', 'schedules/']);
    expect(again.out).toContain('0 created, 0 updated, 3 unchanged, 0 deleted');
    const refused = await kanade(['job', 'delete', 'cleanup-tmp']);
    expect(refused).toMatchObject({
      code: 3,
      err: expect.stringMatching(/schedule nightly-cleanup runs job cleanup-tmp/),
    });
    for (const id of ['nightly-cleanup', 'daily-inventory', 'mirror-sync'])
      expect((await kanade(['schedule', 'delete', id])).code).toBe(0);
  });

  it('inlines script_file so the stored manifest carries the script', async () => {
    const got = await kanade(['job', 'get', 'cleanup-tmp', '--json']);
    const job = JSON.parse(got.out) as { manifest: { execute: { script?: string; script_file?: string } } };
    expect(job.manifest.execute.script).toContain('find "$dir" -xdev');
    expect(job.manifest.execute.script_file).toBeUndefined();
  });

  it('lists the catalog right after a write in another process', async () => {
    await kanade(['job', 'revoke', 'echo', '--reason', 'e2e']);
    const list = await kanade(['job', 'list', '--revoked', '--json']);
    expect((JSON.parse(list.out) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toEqual(['echo']);
  });

  it('exits 2 and names file, line and column for a broken manifest, sending nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanade-cli-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      'id: bad\nversion: "1"\nexecute:\n  shell: sh\n  script: echo\n  timeout: 30s\n  colour: [blue\n',
    );
    const before = await kanade(['events', 'tail', '--limit', '1', '--json']);
    const res = await kanade(['job', 'apply', dir]);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/bad\.yaml:8:1: /);
    expect(await kanade(['events', 'tail', '--limit', '1', '--json'])).toEqual(before);
  });

  it('exits 2 when the server refuses the manifests (a script change without a version bump)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanade-cli-'));
    writeFileSync(
      join(dir, 'echo.yaml'),
      'id: echo\nversion: "1.0.0"\nexecute:\n  shell: sh\n  script: echo changed\n  timeout: 30s\n',
    );
    const res = await kanade(['job', 'apply', dir]);
    expect(res.code).toBe(2);
    // the server's problem, put back on the file and line (outside the working directory: absolute)
    expect(res.err).toContain(`${join(dir, 'echo.yaml')}:5:3: execute.script: changed without a version bump (echo)`);
  });

  it('prints a plan without applying it on --dry-run, and prunes with --prune', async () => {
    const dry = await kanade(['job', 'apply', 'jobs/echo.yaml', '--prune', '--dry-run']);
    expect(dry.out).toContain('plan (dry run, nothing applied):');
    expect(dry.out).toContain('1 unchanged, 3 deleted');
    expect((await kanade(['job', 'list', '--json'])).out).toContain('git-mirror-sync');
  });

  it('validates offline, with no server at all', async () => {
    const offline = { KANADE_API_URL: 'http://127.0.0.1:9' };
    const res = await kanade(['job', 'validate', 'jobs/*.yaml'], offline);
    expect(res).toMatchObject({ code: 0, out: 'ok: 4 job(s) in 4 file(s)\n' });
    const json = await kanade(['job', 'validate', 'jobs/', '--json'], offline);
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, files: 4, issues: [] });
    expect((JSON.parse(json.out) as { manifests: unknown[] }).manifests).toContainEqual({
      id: 'echo',
      source: 'jobs/echo.yaml',
    });
    const broken = await kanade(['job', 'validate', 'examples/broken/'], offline);
    expect(broken).toMatchObject({ code: 2, out: '' });
    expect(broken.err).toMatch(/^kanade job validate: 4 problem\(s\) in the manifests\n/); // nothing to send: not "nothing was sent"
    const brokenJson = await kanade(['job', 'validate', 'examples/broken/', '--json'], offline);
    expect(brokenJson.code).toBe(2);
    expect(JSON.parse(brokenJson.out)).toMatchObject({
      ok: false,
      issues: expect.arrayContaining([expect.anything()]),
    });
  });

  it("prints for the README's broken example exactly what the README shows", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const shown = /```\n\$ npx kanade job apply examples\/broken\/\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    const before = await kanade(['events', 'tail', '--limit', '1', '--json']);
    expect(await kanade(['job', 'apply', 'examples/broken/'])).toEqual({ code: 2, out: '', err: shown });
    expect(await kanade(['events', 'tail', '--limit', '1', '--json'])).toEqual(before);
  });

  it('exits 3 (refused) with a hint when the token is wrong', async () => {
    const res = await kanade(['job', 'list'], { KANADE_TOKEN: 'wrong' });
    expect(res.code).toBe(3);
    expect(res.err).toMatch(/HTTP 401/);
  });

  it('exits 2 on an unknown flag, suggesting the nearest one', async () => {
    const res = await kanade(['job', 'list', '--tga', 'x']);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/unknown flag --tga \(did you mean --tag\?\)/);
    expect((await kanade(['job', 'list', '--colour'])).err).toMatch(/unknown flag --colour\n/);
  });
});

describe('kanade events and projections', () => {
  it('tails the audit log with who did what', async () => {
    const res = await kanade(['events', 'tail', '--type', 'JobRevoked']);
    expect(res.out).toMatch(/JobRevoked\s+revoked job echo 1\.0\.0: e2e/);
    expect(res.out).toContain('tester(cli)');
  });

  it('rebuilds the read models and waits for the swap', async () => {
    const before = sandbox.server.readModels.status().file;
    const res = await kanade(['projections', 'rebuild', '--wait']);
    expect(res.code).toBe(0);
    const after = sandbox.server.readModels.status().file;
    expect(after).not.toBe(before);
    expect(res.out).toContain(after as string);
    expect(res.out).toMatch(/read models: live at seq \d+/);
    expect(res.out).toMatch(/jobs\s+1\s+\d+\s+running/);
  });
});

describe('kanade projections build', () => {
  it('replays the stream into a file as of a sequence, reproducibly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanade-audit-'));
    const nats = { KANADE_NATS_URL: sandbox.nats.url, KANADE_NATS_CREDS: sandbox.nats.serverAuth.credsFile ?? '' };
    const asOf2 = await kanade(
      ['projections', 'build', '--out', join(dir, 'a.sqlite'), '--until-seq', '2', '--json'],
      nats,
    );
    const again = await kanade(
      ['projections', 'build', '--out', join(dir, 'b.sqlite'), '--until-seq', '2', '--json'],
      nats,
    );
    const head = await kanade(['projections', 'build', '--out', join(dir, 'c.sqlite'), '--json'], nats);
    const [a, b, c] = [asOf2, again, head].map(
      (r) => JSON.parse(r.out) as { seq: number; checksums: Record<string, string> },
    );
    expect(a?.seq).toBe(2);
    expect(b?.checksums).toEqual(a?.checksums);
    expect(c?.seq).toBeGreaterThan(2);
    expect(c?.checksums.jobs).not.toBe(a?.checksums.jobs);
  });

  it('refuses to overwrite a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanade-audit-'));
    writeFileSync(join(dir, 'x.sqlite'), '');
    const res = await kanade(['projections', 'build', '--out', join(dir, 'x.sqlite')], {
      KANADE_NATS_URL: sandbox.nats.url,
    });
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/exists/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, shJob } from '../../src/testing/api.ts';
import { launchChromium } from '../../src/testing/browser.ts';
import { createEnrollToken, useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-browser-'));
// Screenshots go to test-results/ (ignored by git); `npm run screenshots` refreshes the committed ones in docs/.
const shots = resolve(import.meta.dirname, '../..', process.env.KANADE_SCREENSHOTS_DIR ?? 'test-results/screenshots');
const agents: AgentProcess[] = [];
let browser: Browser;
let page: Page;
const dialogs: string[] = []; // confirmations, and any script a page should never have run

const go = (path: string) => page.goto(`${sandbox.server.url}${path}`);
const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
// Marks the page; a reload would lose the mark, so a later check proves an update came live.
const markPage = () => page.evaluate('window.kanadeMark = true');
const stillMarked = () => page.evaluate('window.kanadeMark === true');

beforeAll(async () => {
  const groups: Record<string, string[]> = { 'pc-1': ['canary'], 'pc-2': ['wave1'], 'pc-3': ['wave1'] };
  for (const [id, g] of Object.entries(groups))
    agents.push(startAgentProcess({ id, groups: g, sandbox, dataDir: join(dir, id) }));
  await api(
    'POST',
    '/api/jobs',
    [
      shJob('hello', 'echo hello'),
      shJob('broken', '"echo disk full >&2; exit 3"'),
      shJob('nap', 'sleep 30'),
      shJob('slow', '"sleep 2; echo done"'),
      `${shJob('hostile', `'echo "<script>alert(1)</script>" >&2; exit 4'`)}description: '<img src=x onerror=alert(2)> "quoted"'\n`,
    ].join('---\n'),
  );
  await agentsOnline(sandbox, 3);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard', () => {
  it('takes an API token instead of a password, refuses a wrong one, and keeps a right one in an httpOnly cookie', async () => {
    await go('/agents');
    expect(new URL(page.url()).pathname).toBe('/signin');
    const tokenForm = 'details.signin-token';
    await page.click(`${tokenForm} summary`);
    await page.fill('#token', 'not-the-token');
    await page.click(`${tokenForm} button[type=submit]`);
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('not valid');
    await page.click(`${tokenForm} summary`);
    await page.fill('#token', sandbox.server.token);
    await page.click(`${tokenForm} button[type=submit]`);
    await page.waitForURL(`${sandbox.server.url}/agents`);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'kanade_token', httpOnly: true, sameSite: 'Lax' });
  });

  it('shows the fleet: overview, agents with search, an agent and its groups', async () => {
    await go('/');
    await expect(page.locator('.card').first().textContent()).resolves.toMatch(/3\s*agents online/);
    await shot('overview');
    await go('/agents?q=pc-2');
    await expect(page.locator('#agents tbody tr').count()).resolves.toBe(1);
    await page.click('#agents a[href="/agents/pc-2"]');
    await page.fill('#groups', 'wave1, lab');
    await page.click('form[action="/agents/pc-2/groups"] button');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('groups of pc-2: updated');
    await expect(page.locator('#groups').inputValue()).resolves.toBe('lab, wave1'); // stored sorted
    await go('/agents');
    await shot('agents');
  });

  it('runs a job on a group from its page and shows the progress reach done, live', async () => {
    await go('/jobs');
    await shot('jobs');
    await page.click('a[href="/jobs/slow"]');
    await page.check('input[name=target][value=groups]');
    await page.selectOption('#exec-groups', ['wave1']);
    await page.click('.exec-form button[type=submit]');
    await page.waitForURL(/\/executions\/[0-9A-Z]{26}$/);
    await markPage();
    // The job takes two seconds: the page opens before it is done and follows it without a reload.
    await expect(page.locator('#exec-summary .badge').textContent()).resolves.toMatch(/pending|running/);
    await page.locator('#exec-summary .badge', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    expect(await stillMarked()).toBe(true);
    await expect(page.locator('#exec-summary').textContent()).resolves.toContain('2/2 done: 2 succeeded');
    await shot('execution');
  });

  it('rolls out in waves from the form and shows each wave', async () => {
    await go('/jobs/hello');
    await page.check('input[name=target][value=waves]');
    await page.selectOption('#wave-group-0', 'canary');
    await page.selectOption('#wave-group-1', 'wave1');
    await page.fill('#wave-delay-1', '2s');
    await page.fill('#max-failure-ratio', '0');
    await page.click('.exec-form button[type=submit]');
    await page.waitForURL(/\/executions\//);
    await page.locator('#exec-summary .badge', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    await expect(page.locator('#exec-waves tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('#exec-waves').textContent()).resolves.toMatch(
      /canary[\s\S]*dispatched[\s\S]*wave1[\s\S]*dispatched/,
    );
  });

  it('opens a failed result with its output, exit code and timing', async () => {
    await go('/jobs/broken');
    await page.check('input[name=target][value=all]');
    await page.click('.exec-form button[type=submit]');
    await page.waitForURL(/\/executions\//);
    await page.locator('#exec-summary .badge', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    await page.click('#exec-results a[href^="/results/"] >> nth=0');
    await expect(page.locator('h1').textContent()).resolves.toMatch(/^broken on pc-/);
    await expect(page.locator('dl.facts').textContent()).resolves.toMatch(/Outcome\s*failed\s*Exit code\s*3/);
    await expect(page.locator('pre.output').nth(1).textContent()).resolves.toContain('disk full');
    await shot('result');
  });

  it('kills a running execution', async () => {
    const { exec_id } = await api<{ exec_id: string }>('POST', '/api/exec/nap', { target: { pcs: ['pc-1'] } });
    await go(`/executions/${exec_id}`);
    await page.locator('#exec-summary', { hasText: '1 running' }).waitFor({ timeout: 15_000 });
    await page.click('#exec-actions button:has-text("Kill")');
    await page.locator('#exec-summary .badge', { hasText: 'killed' }).waitFor({ timeout: 15_000 });
    await page.locator('#exec-results .badge', { hasText: 'killed' }).waitFor({ timeout: 15_000 });
  });

  it('revokes a job, and the audit trail tells who did it and why', async () => {
    await go('/jobs/hello');
    await page.fill('#revoke-reason', 'bad build');
    await page.click('form[action="/jobs/hello/revoke"] button');
    await page.locator('#job-status .badge', { hasText: 'revoked' }).waitFor();
    await expect(page.locator('#job-status').textContent()).resolves.toContain('by tester');
    await go('/audit?type=JobRevoked');
    const row = page.locator('#audit tbody tr').first();
    await expect(row.textContent()).resolves.toMatch(
      /tester\s*\(dashboard\)\s*JobRevoked\s*revoked job hello 1: bad build/,
    );
    await go('/audit');
    await shot('audit');
    await page.goto(`${sandbox.server.url}/audit?type=JobRevoked`);
    await page.click('#audit tbody tr >> nth=0 >> a');
    await expect(page.locator('pre.code').textContent()).resolves.toContain('"reason": "bad build"');
    await page.goto(`${sandbox.server.url}/jobs/hello`);
    await page.click('form[action="/jobs/hello/unrevoke"] button');
    await page.locator('#job-status .badge', { hasText: 'active' }).waitFor();
  });

  it('lists schedules with their next fire, and turns one on and off', async () => {
    await api(
      'POST',
      '/api/schedules',
      'id: nightly\ncron: "0 3 * * *"\njob_id: hello\ntarget: { all: true }\nenabled: false\n',
    );
    await go('/schedules');
    const row = page.locator('#schedules tbody tr', { hasText: 'nightly' });
    await expect(row.textContent()).resolves.toContain('disabled');
    await row.locator('button', { hasText: 'Enable' }).click();
    await page.locator('#schedules tbody tr .badge', { hasText: 'enabled' }).waitFor();
    await expect(page.locator('#schedules tbody tr').first().textContent()).resolves.toMatch(
      /\d{4}-\d\d-\d\d 03:00:00Z/,
    );
    await shot('schedules');
    await page.click('#schedules tbody tr >> nth=0 >> button:has-text("Disable")');
    await page.locator('#schedules tbody tr .badge', { hasText: 'disabled' }).waitFor();
  });

  it('halts the fleet from the overview, shows the banner everywhere, and resumes', async () => {
    await go('/');
    await page.fill('#halt-reason', 'incident 42');
    await page.click('.danger-zone button');
    await page.locator('.halt-banner', { hasText: 'incident 42' }).waitFor();
    await go('/jobs');
    await expect(page.locator('.halt-banner').textContent()).resolves.toContain('Agents refuse new work');
    await page.click('.halt-banner button');
    await page.locator('.halt-banner').waitFor({ state: 'detached' });
    expect((await api<{ halted: boolean }>('GET', '/api/fleet')).halted).toBe(false);
  });

  it('refuses a state-changing request without the form token, or from another origin', async () => {
    const plain = await page.request.post(`${sandbox.server.url}/fleet/halt`, { form: { reason: 'csrf' } });
    expect(plain.status()).toBe(403);
    await go('/');
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const foreign = await page.request.post(`${sandbox.server.url}/fleet/halt`, {
      form: { reason: 'csrf', _csrf: csrf },
      headers: { Origin: 'https://evil.example' },
    });
    expect(foreign.status()).toBe(403);
    expect((await api<{ halted: boolean }>('GET', '/api/fleet')).halted).toBe(false);
  });

  it('is readable on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/', '/agents', '/jobs', '/jobs/hello', '/executions', '/schedules', '/audit']) {
      await go(path);
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow as number, path).toBeLessThanOrEqual(0); // wide tables scroll inside their box, not the page
      if (path === '/executions') await shot('executions-phone');
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows hostile text as text: no markup or script from job descriptions or output ever runs', async () => {
    const { exec_id } = await api<{ exec_id: string }>('POST', '/api/exec/hostile', { target: { pcs: ['pc-1'] } });
    await go(`/executions/${exec_id}`);
    await page.locator('#exec-summary .badge', { hasText: 'completed' }).waitFor({ timeout: 15_000 });
    await expect(page.locator('#exec-results').textContent()).resolves.toContain('<script>alert(1)</script>');
    await go('/jobs');
    await expect(page.locator('#jobs').textContent()).resolves.toContain('<img src=x onerror=alert(2)> "quoted"');
    expect(await page.locator('#jobs img').count()).toBe(0);
    expect(dialogs.filter((d) => d === '1' || d === '2')).toEqual([]);
  });

  it('shows a refused run form again, as it was, with the problems', async () => {
    await go('/jobs/hello');
    await page.check('input[name=target][value=pcs]');
    await page.fill('#exec-pcs', 'nobody-1');
    await page.fill('#jitter', '5s');
    await page.click('.exec-form button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('no approved agent nobody-1');
    await expect(page.locator('#exec-pcs').inputValue()).resolves.toBe('nobody-1');
    await expect(page.locator('#jitter').inputValue()).resolves.toBe('5s');
    expect(await page.locator('input[name=target][value=pcs]').isChecked()).toBe(true);
  });

  it('keeps keyboard focus where it was when a live update redraws the region', async () => {
    await go('/agents');
    await page.focus('#agents a[href="/agents/pc-3"]');
    await api('PUT', '/api/agents/pc-3/groups', { groups: ['wave1', 'kiosk'] }); // an event: the table changes
    await page.locator('#agents', { hasText: 'kiosk' }).waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.getAttribute("href")')).toBe(
      '/agents/pc-3',
    );
  });

  it('sends a browser with a bad cookie to sign in, and signs in only from this site, to this site', async () => {
    const context = await browser.newContext();
    const url = new URL(sandbox.server.url);
    await context.addCookies([{ name: 'kanade_token', value: 'bogus-token-123', domain: url.hostname, path: '/' }]);
    const other = await context.newPage();
    await other.goto(`${sandbox.server.url}/jobs`);
    expect(new URL(other.url()).pathname).toBe('/signin');
    expect(new URL(other.url()).searchParams.get('next')).toBe('/jobs');
    const form = { token: sandbox.server.token, next: '/\t/evil.example' };
    const cross = await other.request.post(`${sandbox.server.url}/signin`, {
      form,
      headers: { Origin: 'https://evil.example' },
      maxRedirects: 0,
    });
    expect(cross.status()).toBe(403);
    const same = await other.request.post(`${sandbox.server.url}/signin`, { form, maxRedirects: 0 });
    expect(same.status()).toBe(303);
    expect(same.headers().location).toBe('/');
    await context.close();
  });

  it('approves an agent that waits for enrollment from its page, and terminates it', async () => {
    const token = await createEnrollToken(sandbox.server, false, 'browser');
    const waiting = startAgentProcess({
      id: 'pc-new',
      sandbox: { nats: sandbox.nats, enrollToken: token },
      dataDir: join(dir, 'pc-new'),
    });
    agents.push(waiting);
    await eventually(
      async () => (await api<{ total: number }>('GET', '/api/agents?enrollment=pending')).total === 1,
      20_000,
      'pc-new to wait for approval',
    );
    await go('/agents?enrollment=pending');
    await expect(page.locator('#agents tbody tr').count()).resolves.toBe(1);
    await page.click('#agents a[href="/agents/pc-new"]');
    await expect(page.locator('#enrollment-title').textContent()).resolves.toBe('Enrollment request');
    await shot('agent-enrollment');
    await page.click('form[action="/agents/pc-new/approve"] button');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('approve pc-new: updated');
    await waiting.ready();
    await page.fill('form[action="/agents/pc-new/terminate"] input[name=reason]', 'returned to stock');
    await page.click('form[action="/agents/pc-new/terminate"] button');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('terminate: updated');
    await eventually(async () => waiting.process.exitCode !== null, 60_000, 'the terminated agent to be cut off');
  });

  it('stops the server promptly while a page follows live updates', async () => {
    await go('/executions');
    await page.locator('body[data-live-updates]').waitFor({ state: 'attached' }); // the stream is open
    const started = performance.now();
    await sandbox.stopServer();
    // A hang is what this guards against (open event streams used to hold the server for minutes).
    expect(performance.now() - started).toBeLessThan(10_000);
    await sandbox.startServer();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/testing/accounts.ts';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf } from '../../src/testing/api.ts';
import { launchChromium } from '../../src/testing/browser.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-people-'));
const shots = resolve(import.meta.dirname, '../..', process.env.KANADE_SCREENSHOTS_DIR ?? 'test-results/screenshots');
let agent: AgentProcess;
let browser: Browser;
const passwords = new Map<string, string>();

const signedIn = async (user: string): Promise<{ context: BrowserContext; page: Page }> => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${sandbox.server.url}/`);
  await page.fill('#user', user);
  await page.fill('#password', passwords.get(user) as string);
  await page.click('form.signin >> button.primary');
  await page.waitForURL(`${sandbox.server.url}/`);
  return { context, page };
};

beforeAll(async () => {
  agent = startAgentProcess({ id: 'pc-web', sandbox, dataDir: join(dir, 'pc') });
  for (const [user, role] of [
    ['olive', 'operator'],
    ['oscar', 'operator'],
    ['viv', 'viewer'],
  ] as const)
    passwords.set(user, await addUser(sandbox.server, user, role));
  await api(
    'POST',
    '/api/jobs',
    'id: wipe\nversion: "1"\nrequire_approval: true\nexecute:\n  shell: sh\n  script: echo wiped\n  timeout: 1m\n',
  );
  await agentsOnline(sandbox, 1);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('people in the dashboard', () => {
  it('sign in with a name and password; a wrong password is refused, then throttled', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sandbox.server.url}/jobs`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    for (let i = 0; i < 6; i++) {
      await page.fill('#user', 'viv');
      await page.fill('#password', 'definitely-wrong');
      await page.click('form.signin >> button.primary');
    }
    await expect(page.locator('[role=alert]').textContent()).resolves.toMatch(/too many failed sign-ins/);
    await context.close();
  });

  it('show a viewer no run form and no buttons that change anything', async () => {
    // Another viewer: viv's password sign-ins are held by the throttle of the test before.
    passwords.set('vera', await addUser(sandbox.server, 'vera', 'viewer'));
    const { context, page } = await signedIn('vera');
    await page.goto(`${sandbox.server.url}/jobs/wipe`);
    await expect(page.locator('header .who').textContent()).resolves.toMatch(/vera\s*viewer/);
    await expect(page.locator('form[action="/jobs/wipe/exec"]').count()).resolves.toBe(0);
    await expect(page.locator('form[action="/jobs/wipe/revoke"]').count()).resolves.toBe(0);
    await expect(page.locator('main').textContent()).resolves.toMatch(/running jobs needs the operator role/);
    await page.goto(`${sandbox.server.url}/`);
    await expect(page.locator('form[action="/fleet/halt"]').count()).resolves.toBe(0);
    await context.close();
  });

  it('approve from the inbox: the requester cannot, another operator can, and the run goes out', async () => {
    const { context: oc, page: olive } = await signedIn('olive');
    await olive.goto(`${sandbox.server.url}/jobs/wipe`);
    await expect(olive.locator('main').textContent()).resolves.toMatch(/wait for another person to approve/);
    await olive.check('input[name=target][value=pcs]');
    await olive.fill('#exec-pcs', 'pc-web');
    await olive.click('form[action="/jobs/wipe/exec"] button[type=submit]');
    await olive.waitForURL(/\/executions\//);
    const execId = new URL(olive.url()).pathname.split('/').at(-1) as string;
    await expect(olive.locator('#exec-summary').textContent()).resolves.toMatch(/awaiting approval/);
    // Olive asked, so her approval is refused, with the reason.
    await olive.click('#exec-actions form[action$="/approve"] button');
    await expect(olive.locator('[role=status]').textContent()).resolves.toMatch(/somebody else must approve it/);
    await oc.close();

    const { context: sc, page: oscar } = await signedIn('oscar');
    await oscar.goto(`${sandbox.server.url}/approvals`);
    const item = oscar.locator(`article.approval:has(code:text("${execId}"))`);
    await expect(item.locator('pre.code').textContent()).resolves.toBe('echo wiped');
    await expect(item.textContent()).resolves.toMatch(/Asked by olive/);
    await oscar.screenshot({ path: join(shots, 'approvals.png'), fullPage: true });
    await item.locator('form[action$="/approve"] button').click();
    await expect(oscar.locator('[role=status]').textContent()).resolves.toMatch(/approve: approved/);
    await eventually(
      async () => (await api<{ status: string }>('GET', `/api/executions/${execId}`)).status === 'completed',
      20_000,
      'the approved run to complete',
    );
    await oscar.goto(`${sandbox.server.url}/executions/${execId}`);
    await expect(oscar.locator('.approval-steps').textContent()).resolves.toMatch(
      /requested by olive.*approved by oscar/s,
    );
    await sc.close();
  }, 60_000);

  it('end the session of a user an admin disables, on their next page', async () => {
    const { context, page } = await signedIn('oscar');
    await page.goto(`${sandbox.server.url}/jobs`);
    expect(new URL(page.url()).pathname).toBe('/jobs');
    await api('POST', '/api/users/oscar/disable', {});
    await page.goto(`${sandbox.server.url}/jobs`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await context.close();
  });
});

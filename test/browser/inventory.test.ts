import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, eventually, startAgentProcess } from '../../src/testing/agentProcess.ts';
import { agentsOnline, apiOf, execToEnd } from '../../src/testing/api.ts';
import { launchChromium } from '../../src/testing/browser.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const api = apiOf(sandbox);
const dir = mkdtempSync(join(tmpdir(), 'kanade-inventory-'));
const shots = resolve(import.meta.dirname, '../..', process.env.KANADE_SCREENSHOTS_DIR ?? 'test-results/screenshots');
const agents: AgentProcess[] = [];
let browser: Browser;
let page: Page;

// Each PC prints its own package versions: pc-1 and pc-2 run OpenSSL 3.0, pc-3 runs 1.1.
const packagesJob = `id: packages
version: "1"
inventory:
  display: [{ field: openssl, label: OpenSSL }, { field: zlib, label: zlib }]
  summary: [{ field: openssl, label: OpenSSL versions }]
execute:
  shell: sh
  script: 'case "$KANADE_PC" in pc-3) v=1.1.1w ;; *) v=3.0.13 ;; esac; echo "{\\"openssl\\": \\"$v\\", \\"zlib\\": \\"1.2.13\\"}"'
  timeout: 1m
`;

beforeAll(async () => {
  for (const id of ['pc-1', 'pc-2', 'pc-3'])
    agents.push(startAgentProcess({ id, sandbox, dataDir: join(dir, id), env: { KANADE_PC: id } }));
  await agentsOnline(sandbox, 3);
  await api('POST', '/api/jobs', packagesJob);
  await execToEnd(sandbox, 'packages', { all: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${sandbox.server.url}/signin`);
  await page.click('details.signin-token summary');
  await page.fill('#token', sandbox.server.token);
  await page.click('details.signin-token button[type=submit]');
  await page.waitForURL(`${sandbox.server.url}/`);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the inventory page', () => {
  it("shows an inventory job's display columns per PC and its summary as a bar chart", async () => {
    await page.goto(`${sandbox.server.url}/inventory?job=packages`);
    const headers = await page.locator('#inventory thead th').allTextContents();
    expect(headers).toEqual(['PC', 'OpenSSL', 'zlib', 'Reported']);
    const rows = await page.locator('#inventory tbody tr').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.includes('pc-3'))).toMatch(/1\.1\.1w/);
    const chart = page.locator('#inventory-summary figure.chart');
    await expect(chart.locator('figcaption').textContent()).resolves.toBe('OpenSSL versions');
    await expect(chart.locator('rect').count()).resolves.toBe(2);
    await expect(chart.locator('.chart-label').allTextContents()).resolves.toEqual(['3.0.13', '1.1.1w']);
    await expect(chart.locator('.chart-count').allTextContents()).resolves.toEqual(['2', '1']);
    await page.screenshot({ path: join(shots, 'inventory.png'), fullPage: true });
  });

  it('filters by a selector, and shows a bad one with where it went wrong', async () => {
    await page.goto(`${sandbox.server.url}/inventory?job=packages`);
    await page.fill('input[name=where]', 'inventory["packages"].openssl startswith "3."');
    await page.click('form.filters button[type=submit]');
    await expect(page.locator('#inventory tbody tr').count()).resolves.toBe(2);
    await page.fill('input[name=where]', 'openssl startswith 3');
    await page.click('form.filters button[type=submit]');
    const alert = await page.locator('[role=alert]').textContent();
    expect(alert).toMatch(/the where selector is not valid/);
    expect(alert).toMatch(/where: .*\(line 1, column 20\)/);
    expect(await page.locator('#inventory').count()).toBe(0);
  });

  it('shows the built-in facts and the facts history on the agent page', async () => {
    await eventually(
      async () => (await api<{ facts: unknown }>('GET', '/api/agents/pc-1/facts')).facts !== null,
      15_000,
      'facts of pc-1',
    );
    await page.goto(`${sandbox.server.url}/agents/pc-1`);
    const facts = page.locator('#agent-facts');
    await expect(facts.locator('table[aria-label="built-in facts"]').textContent()).resolves.toMatch(/os\.family/);
    await expect(facts.locator('table[aria-label="packages inventory"]').textContent()).resolves.toMatch(/3\.0\.13/);
    await expect(facts.locator('table[aria-label="fact changes"]').textContent()).resolves.toMatch(/packages\.openssl/);
  });
});

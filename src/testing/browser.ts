import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Chromium is: `KANADE_CHROMIUM`, or Debian's package (`apt-get install chromium`). */
export const chromiumPath = (): string => {
  const candidates = [process.env.KANADE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => p !== undefined && existsSync(p));
  if (found === undefined) throw new Error('Chromium not found: apt-get install chromium (or set KANADE_CHROMIUM)');
  return found;
};

/** A headless Chromium for browser tests (real browser, real server; nothing mocked). */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

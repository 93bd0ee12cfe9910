/// <reference lib="dom" />
// Code passed to page.evaluate runs in Chromium: the DOM types describe it.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.OUTPOST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The suite runs wherever Chromium is installed, and always in CI (.ci/run installs it): only a
 * developer machine without it skips, and says so.
 */
export function browserSuiteSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env.CI) throw new Error(`CI is set but ${CHROMIUM} is missing: the dashboard browser suite must run in CI`);
  return `dashboard browser tests skipped: ${CHROMIUM} not found (apt-get install chromium, or set OUTPOST_CHROMIUM)`;
}

// The flags keep headless Chromium from reaching the network on its own (no internet here).
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumHandle {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Debian's Chromium, driven by playwright-core. launch() gives it a new, empty user-data dir of
 * its own (and deletes it on close); the browser contexts of the tests are incognito-like on top.
 */
export async function launchChromium(): Promise<ChromiumHandle> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

export const LAPTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** A fresh context (own cookie jar): one per tenant session. Collects CSP violations. */
export async function newSession(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await browser.newContext({ baseURL, viewport: LAPTOP });
  const violations: string[] = [];
  await context.exposeFunction('__cspViolation', (v: string) => violations.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e: SecurityPolicyViolationEvent) => {
      (window as unknown as { __cspViolation(v: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`);
    });
  });
  const page = await context.newPage();
  return { context, page, violations };
}

// The README's pictures are rewritten only when asked (OUTPOST_UPDATE_SCREENSHOTS=1): a plain
// `npm test` must leave a clean checkout clean. Otherwise they go to a scratch directory.
const SHOTS = process.env.OUTPOST_UPDATE_SCREENSHOTS === '1'
  ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../docs/screenshots')
  : path.join(os.tmpdir(), 'outpost-dashboard-screenshots');

/** Saves a screenshot (docs/screenshots/<name>.png with OUTPOST_UPDATE_SCREENSHOTS=1, for the README). */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

/// <reference lib="dom" />
// Code passed to page.evaluate runs in Chromium: the DOM types describe it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { browserSuiteSkipReason, launchChromium, LAPTOP, newSession, PHONE, screenshot, type ChromiumHandle } from './helpers/browser.js';
import { until } from '@outpost/testkit';
import { branchesOf, showFile, startDashboardStack, type DashboardStack } from './helpers/stack.js';
import { measureLogThroughput } from './helpers/throughput.js';

const skip = browserSuiteSkipReason();
if (skip) console.warn(skip);
const suite = skip ? describe.skip : describe;

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async function signIn(page: Page, apiKey: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
}

/** Fills the dispatch form for one shell run and returns the new run's id (its page opens). */
async function dispatchShell(page: Page, repo: string, task: string, tags = ''): Promise<string> {
  await page.goto('/dispatch'); // a fresh form: no agent left checked by an earlier test
  await page.getByLabel('Repository (URL or path)').fill(repo);
  await page.getByLabel('shell').check();
  await page.getByLabel('Task').fill(task);
  await page.getByLabel('Timeout in seconds (optional)').fill('300');
  if (tags) await page.getByLabel('Tags (key=value, comma separated)').fill(tags);
  await page.getByRole('button', { name: 'Dispatch' }).click();
  const refused = page.getByRole('alert');
  await Promise.race([page.waitForURL(/\/runs\/run_/), refused.waitFor()]);
  if (!/\/runs\/run_/.test(page.url())) throw new Error(`dispatch refused: ${await refused.textContent()}`);
  return new URL(page.url()).pathname.split('/').pop() ?? '';
}

const status = (page: Page) => page.locator('.page-head .status');
/** A line of the live log view (each line is prefixed by the worker's timestamp and stream). */
const logLine = (page: Page, text: string) => page.locator('.log-line', { hasText: text }).first();

suite('dashboard in Chromium (real local stack)', () => {
  let stack: DashboardStack;
  let chromium: ChromiumHandle;
  let browser: Browser;
  let page: Page;
  let violations: string[];
  let firstRunId = '';

  beforeAll(async () => {
    stack = await startDashboardStack();
    chromium = await launchChromium();
    browser = chromium.browser;
    ({ page, violations } = await newSession(browser, stack.baseURL));
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
  }, 150_000);

  it('signs in with the API key: HttpOnly SameSite=Strict cookie, nothing in storage or the URL, strict CSP', async () => {
    const res = await page.goto('/sign-in');
    expect(res?.headers()['content-security-policy']).toBe(CSP);
    expect(res?.headers()['x-content-type-options']).toBe('nosniff');
    expect(res?.headers()['referrer-policy']).toBe('no-referrer');
    await signIn(page, stack.local.apiKey);
    const [cookie, ...others] = await page.context().cookies();
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ name: 'outpost_session', httpOnly: true, sameSite: 'Strict', path: '/', secure: false });
    expect(cookie?.value).not.toContain(stack.local.apiKey);
    const seen = await page.evaluate(() => ({
      cookie: document.cookie,
      storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
      url: location.href,
    }));
    expect(seen.cookie).toBe('');
    expect(seen.storage).not.toContain(stack.local.apiKey);
    expect(seen.url).not.toContain(stack.local.apiKey);
    // The built HTML has no inline script or style for the CSP to refuse.
    const html = await (await fetch(`${stack.baseURL}/`)).text();
    expect(html).not.toMatch(/style=|<style|<script(?![^>]*\bsrc=)/);
  });

  it('refuses a state change without the CSRF token (403 csrf), from the page itself', async () => {
    const refused = await page.evaluate(async (repo) => {
      const res = await fetch('/api/dispatch', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ repo, agents: ['shell'], task: 'echo no' }),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    }, stack.remote);
    expect(refused).toEqual({ status: 403, body: { error: expect.objectContaining({ code: 'csrf' }) } });
    const wrong = await page.evaluate(async () => (await fetch('/api/session', { method: 'DELETE', headers: { 'x-csrf-token': 'nope' } })).status);
    expect(wrong).toBe(403);
  });

  it('dispatches a shell run from the form, shows its log lines while it runs, then the diff', async () => {
    const task =
      'echo "hello from the dashboard" > hello.txt; for i in 1 2 3 4 5 6; do echo "progress line $i"; sleep 1; done; echo done';
    firstRunId = await dispatchShell(page, stack.remote, task, 'suite=dash');
    // A line appears while the run is still running: the log is live, not read at the end.
    await logLine(page, 'out progress line 1').waitFor({ timeout: 90_000 });
    const whileRunning = await status(page).textContent();
    expect(whileRunning).toBe('running');
    await logLine(page, 'out progress line 3').waitFor({ timeout: 30_000 });
    await until(async () => (await status(page).textContent()) === 'succeeded', { what: 'the run to succeed', timeoutMs: 60_000 });
    await expect(page.getByTestId('status-live').textContent()).resolves.toContain('succeeded');
    await page.locator('.diff-file summary', { hasText: 'hello.txt' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('.d2h-ins').filter({ hasText: 'hello from the dashboard' }).count()).toBeGreaterThan(0);
    await expect(page.getByTestId('summary').textContent()).resolves.toContain('+1');
    await page.getByLabel('Search log').fill('progress line 4');
    await until(async () => (await page.locator('.log-line').count()) === 1, { what: 'search to narrow the log', timeoutMs: 60_000 });
    await page.getByLabel('Search log').fill('');
    await screenshot(page, 'run-laptop', true);
    await page.setViewportSize(PHONE);
    await screenshot(page, 'run-phone', true);
    await page.setViewportSize(LAPTOP);
  }, 240_000);

  it('promotes the run into the local bare repository and shows the result', async () => {
    await page.getByLabel('Branch', { exact: true }).fill(`dash/${firstRunId}`);
    await page.getByRole('button', { name: 'Promote' }).click();
    await page.getByTestId('promote-result').waitFor({ timeout: 60_000 });
    await until(async () => (await branchesOf(stack.remote)).includes(`dash/${firstRunId}`), { what: 'the branch to reach the bare repository', timeoutMs: 60_000 });
    expect(await showFile(stack.remote, `dash/${firstRunId}`, 'hello.txt')).toBe('hello from the dashboard\n');
  }, 90_000);

  it('cancels another run from its page; the fleet page shows the busy worker and the chart', async () => {
    const runId = await dispatchShell(page, stack.remote, 'echo started; sleep 240');
    await logLine(page, 'out started').waitFor({ timeout: 90_000 });
    await page.goto('/fleet');
    const row = page.locator('[data-testid="tiers"] tr', { has: page.locator('[data-testid^="workers-running-"]') });
    await until(async () => {
      const counts = await row.locator('[data-testid^="workers-running-"]').allTextContents();
      return counts.some((c) => Number(c) >= 1);
    }, { what: 'a running worker on the fleet page', timeoutMs: 60_000 });
    await page.locator('.chart canvas').first().waitFor();
    await screenshot(page, 'fleet-laptop');
    await page.goto(`/runs/${runId}`);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await until(async () => (await status(page).textContent()) === 'cancelled', { what: 'the run to be cancelled', timeoutMs: 60_000 });
  }, 180_000);

  it('lists runs newest first, filters by tag, updates a status without a reload', async () => {
    await page.goto('/runs');
    await page.locator(`tr[data-run-id="${firstRunId}"]`).waitFor();
    const ids = await page.locator('tr[data-run-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id') ?? ''));
    expect([...ids].sort().reverse()).toEqual(ids);
    await screenshot(page, 'runs-laptop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'runs-phone');
    await page.setViewportSize(LAPTOP);
    await page.getByLabel('Tag (key=value)').fill('suite=dash');
    await page.getByRole('button', { name: 'Filter' }).click();
    await until(async () => (await page.locator('tr[data-run-id]').count()) === 1, { what: 'the tag filter', timeoutMs: 60_000 });
    // A run dispatched elsewhere (the API) shows up and changes status here with no reload.
    await page.goto('/runs');
    await page.locator(`tr[data-run-id="${firstRunId}"]`).waitFor();
    const csrf = await page.evaluate(async () => ((await (await fetch('/api/session')).json()) as { csrfToken: string }).csrfToken);
    const made = await page.evaluate(
      async ([repo, token]) => {
        const res = await fetch('/api/dispatch', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': token ?? '' },
          body: JSON.stringify({ repo, agents: ['shell'], task: 'echo quick' }),
        });
        return ((await res.json()) as { runs: { runId: string }[] }).runs[0]?.runId ?? '';
      },
      [stack.remote, csrf],
    );
    await until(async () =>
      (await page.locator(`tr[data-run-id="${made}"] .status`).textContent()) === 'succeeded', { what: 'the new run to reach succeeded in the list', timeoutMs: 90_000 });
  }, 150_000);

  it('shows fan-out siblings side by side on a run page', async () => {
    const csrf = await page.evaluate(async () => ((await (await fetch('/api/session')).json()) as { csrfToken: string }).csrfToken);
    const ids = await page.evaluate(
      async ([repo, token]) => {
        const res = await fetch('/api/dispatch', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': token ?? '' },
          body: JSON.stringify({ repo, agents: ['shell', 'shell'], task: 'echo twin' }),
        });
        return ((await res.json()) as { runs: { runId: string }[] }).runs.map((r) => r.runId);
      },
      [stack.remote, csrf],
    );
    expect(ids).toHaveLength(2);
    await page.goto(`/runs/${ids[0]}`);
    const siblings = page.getByRole('region', { name: 'Fan-out siblings' }).getByRole('listitem');
    await until(async () => (await siblings.count()) === 2, { what: 'both runs of the fan-out', timeoutMs: 60_000 });
    await expect(siblings.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).resolves.toEqual(
      ids.map((id) => `/runs/${id}`),
    );
  }, 60_000);

  it('the dispatch form (screenshots)', async () => {
    await page.goto('/dispatch');
    await page.getByLabel('Repository (URL or path)').fill('https://github.com/example/app.git');
    await page.getByLabel('claude').check();
    await page.getByLabel('codex').check();
    await page.getByLabel('Task').fill('Fix the flaky date test in src/date.test.ts');
    await screenshot(page, 'dispatch-laptop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'dispatch-phone');
    await page.setViewportSize(LAPTOP);
  });

  it("a second tenant's session never sees the first's runs, also by guessed URL; its backlog starts a worker on its tier", async () => {
    const other = await stack.createTenant('second');
    const { context, page: theirs } = await newSession(browser, stack.baseURL);
    try {
      await signIn(theirs, other.apiKey);
      await theirs.getByText('No runs.').waitFor();
      await theirs.goto(`/runs/${firstRunId}`);
      await theirs.getByRole('heading', { name: 'Run not found' }).waitFor();
      const probe = await theirs.evaluate(async (id) => {
        const missing = `run_${'0'.repeat(26)}`;
        const get = async (p: string) => {
          const r = await fetch(p);
          return { status: r.status, body: (await r.text()).replaceAll(id, 'ID').replaceAll(missing, 'ID') };
        };
        return {
          theirs: [await get(`/api/runs/${id}`), await get(`/api/runs/${id}/log`), await get(`/api/runs/${id}/patch`)],
          missing: [await get(`/api/runs/${missing}`), await get(`/api/runs/${missing}/log`), await get(`/api/runs/${missing}/patch`)],
        };
      }, firstRunId);
      expect(probe.theirs.map((r) => r.status)).toEqual([404, 404, 404]);
      expect(probe.theirs).toEqual(probe.missing);

      // Their tier (pro) keeps no worker when idle: their backlog makes the dispatcher start one.
      await theirs.goto('/fleet');
      const proWorkers = theirs.getByTestId('workers-running-pro');
      await expect(proWorkers.textContent()).resolves.toBe('0');
      const theirRun = await dispatchShell(theirs, stack.remote, 'echo pro tier; sleep 30');
      await theirs.goto('/fleet');
      await until(async () => Number(await proWorkers.textContent()) >= 1, { what: 'a pro worker started for the backlog', timeoutMs: 120_000 });
      await screenshot(theirs, 'fleet-scaled-laptop');
      await theirs.goto('/runs');
      await theirs.locator(`tr[data-run-id="${theirRun}"]`).waitFor();
      expect(await theirs.locator('tr[data-run-id]').count()).toBe(1);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('keeps the tab responsive under 1 MB/s of log output for ~10 s (measured, reported)', async () => {
    const runId = await dispatchShell(
      page,
      stack.remote,
      // ~1 MB per second for 10 s: 10,000 lines of 100 bytes each second.
      'for s in $(seq 1 10); do seq 1 10000 | sed "s/^/$s x$(printf %090d 0) /"; sleep 1; done; echo flood-done',
    );
    const result = await measureLogThroughput(page);
    console.log(`dashboard log throughput: ${JSON.stringify(result)}`);
    expect(result.inputAnswered).toBe(true);
    expect(result.linesShown).toBeGreaterThan(10_000);
    void runId;
  }, 180_000);

  it('raised no CSP violation on any page', () => {
    expect(violations).toEqual([]);
  });
});

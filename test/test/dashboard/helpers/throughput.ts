/// <reference lib="dom" />
// Code passed to page.evaluate runs in Chromium: the DOM types describe it.
import type { Page } from 'playwright-core';

export interface ThroughputResult {
  /** Seconds the log streamed (first line to end). */
  seconds: number;
  linesShown: number;
  longTasks: number;
  longTaskMsTotal: number;
  longestTaskMs: number;
  frames: number;
  /** Frame gaps (rAF to rAF) over 100 ms, and the largest. */
  frameGapsOver100ms: number;
  maxFrameGapMs: number;
  /** Slowest round trip of a keystroke into the search box answered by the page, during the flood. */
  maxInputMs: number;
  inputAnswered: boolean;
}

interface Probe {
  longTasks: number[];
  gaps: number[];
  frames: number;
  stop: boolean;
}

/**
 * Records long tasks (PerformanceObserver 'longtask') and frame gaps (requestAnimationFrame) while
 * the open run page streams its log, typing into the search box now and then to see the page answer.
 */
export async function measureLogThroughput(page: Page): Promise<ThroughputResult> {
  await page.evaluate(() => {
    const probe: Probe = { longTasks: [], gaps: [], frames: 0, stop: false };
    (window as unknown as { __probe: Probe }).__probe = probe;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push(e.duration);
    }).observe({ entryTypes: ['longtask'] });
    let last = performance.now();
    const tick = (t: number) => {
      probe.gaps.push(t - last);
      probe.frames++;
      last = t;
      if (!probe.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const stats = page.getByTestId('log-stats');
  await page.locator('.log-line').first().waitFor({ timeout: 90_000 });
  const started = Date.now();
  let maxInputMs = 0;
  let inputAnswered = true;
  const search = page.getByLabel('Search log');
  while (!((await stats.textContent()) ?? '').includes('complete')) {
    if (Date.now() - started > 120_000) throw new Error('the flood did not end');
    const t0 = Date.now();
    await search.press('z');
    const answered = await search.inputValue({ timeout: 5000 }).then((v) => v === 'z', () => false);
    await search.press('Backspace');
    maxInputMs = Math.max(maxInputMs, Date.now() - t0);
    inputAnswered &&= answered;
    await page.waitForTimeout(500); // pacing of the probe only; nothing waits on it to pass
  }
  const seconds = (Date.now() - started) / 1000;
  const probe = await page.evaluate(() => {
    const p = (window as unknown as { __probe: Probe }).__probe;
    p.stop = true;
    return p;
  });
  const text = (await stats.textContent()) ?? '';
  return {
    seconds,
    linesShown: Number(/^(\d+) lines/.exec(text)?.[1] ?? 0),
    longTasks: probe.longTasks.length,
    longTaskMsTotal: Math.round(probe.longTasks.reduce((a, b) => a + b, 0)),
    longestTaskMs: Math.round(Math.max(0, ...probe.longTasks)),
    frames: probe.frames,
    frameGapsOver100ms: probe.gaps.filter((g) => g > 100).length,
    maxFrameGapMs: Math.round(Math.max(0, ...probe.gaps)),
    maxInputMs,
    inputAnswered,
  };
}

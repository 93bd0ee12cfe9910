import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { until } from '@outpost/testkit';
import { callOk, REPO, startHarness, type Harness } from './helpers/harness.js';

// notifications/cancelled arrives in a POST of its own; the stateless edge must route it to the
// POST that carries the request (before, a cancelled wait_for_run ran on to its timeout).
describe('notifications/cancelled over stateless HTTP', () => {
  let h: Harness;
  let ca: Client;
  let cb: Client;

  beforeAll(async () => {
    h = await startHarness();
    ca = await h.client((await h.tenant('enterprise')).apiKey);
    cb = await h.client((await h.tenant('enterprise')).apiKey);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Starts a 300 s wait on a run no worker takes; returns once the edge holds the call. */
  const startWait = async (client: Client, signal: AbortSignal) => {
    const runId = (await callOk(client, 'dispatch', { agent: 'shell', task: 'x', repo: REPO })).runs[0].runId as string;
    const state = { settled: false };
    const waiting = client
      .callTool({ name: 'wait_for_run', arguments: { runId, timeoutSeconds: 300 } }, undefined, { signal, timeout: 400_000 })
      .then(
        () => 'answered',
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      )
      .finally(() => (state.settled = true));
    await until(() => h.edge.calls.size === 1);
    return { waiting, state };
  };

  it('stops the in-flight wait_for_run the client cancels, and ends its response', async () => {
    const abort = new AbortController();
    const { waiting } = await startWait(ca, abort.signal);
    abort.abort('changed my mind');
    expect(await waiting).toContain('changed my mind');
    // The edge's side of the call ended (its POST closed) long before the wait's 300 s.
    await until(() => h.edge.calls.size === 0, { timeoutMs: 10_000 });
  });

  it('ignores a cancel from another tenant for the same request id', async () => {
    const abort = new AbortController();
    const { state } = await startWait(ca, abort.signal);
    // The SDK numbers requests per client from 0: cb's cancels name every id ca can have used.
    for (let requestId = 0; requestId < 20; requestId++) await cb.notification({ method: 'notifications/cancelled', params: { requestId, reason: 'not yours' } });
    // A routed cancel stops the call inside the handling of its POST; two more round trips on
    // each connection let any such close arrive.
    await Promise.all([ca.ping(), cb.ping()]);
    await Promise.all([ca.ping(), cb.ping()]);
    expect(h.edge.calls.size).toBe(1);
    expect(state.settled).toBe(false);
    abort.abort();
    await until(() => h.edge.calls.size === 0, { timeoutMs: 10_000 });
  });
});

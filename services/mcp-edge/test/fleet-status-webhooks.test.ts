import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { callOk, startHarness, textOf, call, type Harness } from './helpers/harness.js';

describe('fleet_status lists the caller’s webhooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it("shows its own endpoints with masked URLs and state, never another tenant's", async () => {
    const mine = await h.tenant();
    const theirs = await h.tenant();
    const endpoint = await h.stores.webhooks.create({ tenantId: mine.tenantId, url: 'https://hooks.slack.com/services/T000/B000/secretpart', kind: 'slack', events: ['run.failed'] });
    await h.stores.webhooks.disable(mine.tenantId, endpoint.endpointId, 'every delivery failed for 24 h; last error: HTTP 410');
    await h.stores.webhooks.create({ tenantId: theirs.tenantId, url: 'https://example.com/theirs', kind: 'standard', events: ['run.succeeded'] });

    const client = await h.client(mine.apiKey);
    const status = await callOk<{ webhooks: Record<string, unknown>[] }>(client, 'fleet_status');
    expect(status.webhooks).toEqual([
      {
        endpointId: endpoint.endpointId,
        url: 'https://hooks.slack.com/services/…',
        kind: 'slack',
        events: ['run.failed'],
        enabled: false,
        disabledReason: 'every delivery failed for 24 h; last error: HTTP 410',
      },
    ]);
    const text = textOf(await call(client, 'fleet_status'));
    expect(text).toContain(`webhooks: ${endpoint.endpointId} slack https://hooks.slack.com/services/… disabled`);
    expect(JSON.stringify(status) + text).not.toMatch(/secretpart|theirs|whsec_/);
  });
});

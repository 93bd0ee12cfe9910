import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { artifactKeys, parseJobMessage } from '@outpost/shared';
import { call, callError, callOk, REPO, startHarness, textOf, type Harness } from './helpers/harness.js';

interface Dispatched {
  runs: { runId: string; agent: string; status: string; tier: string; createdAt: string }[];
  replayed: boolean;
}

describe('dispatch', () => {
  let h: Harness;
  let ent: { tenantId: string; apiKey: string };
  let client: Client;

  beforeAll(async () => {
    // pro: a small daily limit so the daily refusal is reachable; free keeps its default 1 active run.
    h = await startHarness({ tiers: { pro: { runsPerDay: 3 } } });
    ent = await h.tenant('enterprise');
    client = await h.client(ent.apiKey);
  });
  afterAll(async () => {
    await h?.close();
  });

  const queueDepth = async (tier: 'free' | 'pro' | 'enterprise') => {
    const out = await h.stack.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await h.stores.queues.jobsUrl(tier),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
  };

  /** Receives every visible message of a tier's queue (hiding them for a minute) and returns their run ids. */
  const drainRunIds = async (tier: 'free' | 'pro' | 'enterprise') => {
    const ids: string[] = [];
    for (;;) {
      const out = await h.stack.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: await h.stores.queues.jobsUrl(tier), MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0 }),
      );
      if (!out.Messages?.length) return ids;
      for (const m of out.Messages) ids.push(parseJobMessage(m.Body)?.runId ?? 'unparseable');
    }
  };

  describe('success', () => {
    it('queues one run, stores it and sends one job message to the tier queue', async () => {
      const before = await queueDepth('enterprise');
      const out = await callOk<Dispatched>(client, 'dispatch', { agent: 'claude', task: 'fix the bug', repo: REPO, tags: { ticket: 'T-1' } });
      expect(out.replayed).toBe(false);
      expect(out.runs).toHaveLength(1);
      expect(out.runs[0]).toMatchObject({ agent: 'claude', status: 'queued', tier: 'enterprise' });
      const runId = out.runs[0]!.runId;
      const stored = await h.stores.runs.get(ent.tenantId, runId);
      expect(stored).toMatchObject({ status: 'queued', repo: REPO, task: 'fix the bug', tags: { ticket: 'T-1' }, timeoutSeconds: 3600 });
      expect(await queueDepth('enterprise')).toBe(before + 1);
      expect(await drainRunIds('enterprise')).toContain(runId);
    });

    it('fans out to several agents, one run and one message each', async () => {
      const out = await callOk<Dispatched>(client, 'dispatch', { agents: ['claude', 'codex', 'shell'], task: 'echo hi', repo: 'example/project' });
      expect(out.runs.map((r) => r.agent)).toEqual(['claude', 'codex', 'shell']);
      expect(new Set(out.runs.map((r) => r.runId)).size).toBe(3);
      const sent = await drainRunIds('enterprise');
      for (const r of out.runs) expect(sent.filter((id) => id === r.runId)).toHaveLength(1);
    });

    it('fans out to the same agent several times (best-of-N): distinct runs, one message each', async () => {
      // Its own tenant: the suite's shared one is near its active-run limit.
      const t = await h.tenant('enterprise');
      const out = await callOk<Dispatched>(await h.client(t.apiKey), 'dispatch', { agents: ['claude', 'claude', 'claude'], task: 'try it three ways', repo: REPO });
      expect(out.runs.map((r) => r.agent)).toEqual(['claude', 'claude', 'claude']);
      expect(new Set(out.runs.map((r) => r.runId)).size).toBe(3);
      for (const r of out.runs) expect(await h.stores.runs.get(t.tenantId, r.runId)).toMatchObject({ agent: 'claude', task: 'try it three ways', status: 'queued' });
      const sent = await drainRunIds('enterprise');
      for (const r of out.runs) expect(sent.filter((id) => id === r.runId)).toHaveLength(1);
    });

    it('stores a large task in S3 and keeps only its key on the run', async () => {
      const task = 'x'.repeat(20_000);
      const out = await callOk<Dispatched>(client, 'dispatch', { agent: 'claude', task, repo: REPO });
      const runId = out.runs[0]!.runId;
      const stored = await h.stores.runs.get(ent.tenantId, runId);
      const key = artifactKeys.artifact(ent.tenantId, runId, 'task.txt');
      expect(stored?.task).toBeUndefined();
      expect(stored?.taskKey).toBe(key);
      expect(stored?.taskBytes).toBe(20_000);
      const obj = await h.stack.clients.s3.send(new GetObjectCommand({ Bucket: h.stores.names.bucket, Key: key }));
      expect(await obj.Body?.transformToString()).toBe(task);
    });

    it('accepts a local path, a file:// URL and an http:// URL in local mode (the worker clones all three)', async () => {
      await callOk(client, 'dispatch', { agent: 'shell', task: 'ls', repo: '/tmp/some-repo' });
      await callOk(client, 'dispatch', { agent: 'shell', task: 'ls', repo: 'file:///tmp/some-repo' });
      await callOk(client, 'dispatch', { agent: 'shell', task: 'ls', repo: 'http://127.0.0.1:9/some-repo.git' });
    });

    it('returns the queued run from get_run right after dispatch (read-after-write), every time', async () => {
      for (let i = 0; i < 15; i++) {
        const out = await callOk<Dispatched>(client, 'dispatch', { agent: 'shell', task: `echo ${i}`, repo: REPO });
        const got = await callOk(client, 'get_run', { runId: out.runs[0]!.runId });
        expect(got.run.status).toBe('queued');
      }
    });
  });

  describe('input rules', () => {
    const long = (n: number) => 'k'.repeat(n);
    it.each([
      ['neither agent nor agents', { task: 't', repo: REPO }, /agent/],
      ['both agent and agents', { agent: 'claude', agents: ['codex'], task: 't', repo: REPO }, /either agent or agents/],
      ['more than 5 agents', { agents: ['claude', 'codex', 'gemini', 'aider', 'grok', 'shell'], task: 't', repo: REPO }, /at most 5/],
      ['an unknown agent', { agent: 'hal9000', task: 't', repo: REPO }, /agent/],
      ['an empty task', { agent: 'claude', task: '', repo: REPO }, /task is empty/],
      ['a blank task', { agent: 'claude', task: '   ', repo: REPO }, /blank/],
      ['a task over 50,000 characters', { agent: 'claude', task: long(50_001), repo: REPO }, /50,000/],
      ['an ssh repo', { agent: 'claude', task: 't', repo: 'ssh://git@github.com/a/b.git' }, /https/],
      ['a repo URL with a space', { agent: 'claude', task: 't', repo: 'https://github.com/a/b c' }, /whitespace/],
      ['an owner/name ending in "."', { agent: 'claude', task: 't', repo: 'owner/name.' }, /never ends with `\.`/],
      ['a ref range a..b', { agent: 'claude', task: 't', repo: REPO, ref: 'a..b' }, /ref "a\.\.b" refused: .*`\.\.`/],
      ['a reflog ref x@{1}', { agent: 'claude', task: 't', repo: REPO, ref: 'x@{1}' }, /ref "x@\{1\}" refused: .*`@\{`/],
      ['an ext:: remote helper', { agent: 'claude', task: 't', repo: 'ext::sh -c touch% /tmp/pwned' }, /not allowed/],
      ['a :: transport', { agent: 'claude', task: 't', repo: 'fd::17' }, /not allowed/],
      ['a repo that looks like an option', { agent: 'claude', task: 't', repo: '--upload-pack=touch /tmp/x' }, /not allowed/],
      ['a repo URL with credentials', { agent: 'claude', task: 't', repo: 'https://user:secret@github.com/a/b.git' }, /credentials/],
      ['a relative path', { agent: 'claude', task: 't', repo: '../other' }, /not supported/],
      ['a ref that looks like an option', { agent: 'claude', task: 't', repo: REPO, ref: '--upload-pack=x' }, /ref/],
      ['a timeout over the tier maximum', { agent: 'claude', task: 't', repo: REPO, timeoutSeconds: 6 * 3600 + 1 }, /maximum of 21600/],
      ['an idempotencyKey over 128 characters', { agent: 'claude', task: 't', repo: REPO, idempotencyKey: long(129) }, /128/],
      ['more than 10 tags', { agent: 'claude', task: 't', repo: REPO, tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }, /at most 10/],
      ['a tag with "="', { agent: 'claude', task: 't', repo: REPO, tags: { 'a=b': 'c' } }, /=/],
    ])('refuses %s with a message saying what to change', async (_label, args, message) => {
      const before = await queueDepth('enterprise');
      const text = await callError(client, 'dispatch', args);
      expect(text).toMatch(message);
      expect(text).not.toMatch(/\n\s+at /); // never a stack trace
      expect(await queueDepth('enterprise')).toBe(before);
    });
  });

  describe('secrets in the input', () => {
    // Assembled at runtime so secret scanners do not flag this file.
    const alnum = (n: number) => 'aB3xY9kQ7z'.repeat(Math.ceil(n / 10)).slice(0, n);
    const GH = `ghp_${alnum(36)}`;
    const ANT = `sk-ant-api03-${alnum(60)}`;
    const AWS = `AKIA${'IOSFODNN7EXAMPLE'}`;

    it.each([
      ['a GitHub token in the task', { task: `clone with ${GH} and fix it` }, GH, /a GitHub token \(ghp_…\) in task/, 'github_token'],
      ['an Anthropic key in the task', { task: `export ANTHROPIC_API_KEY=${ANT}; run the tests` }, ANT, /an Anthropic key \(sk-ant-…\) in task/, 'anthropic_api_key'],
      ['a Claude subscription token in the task', { task: `login with sk-ant-oat01-${alnum(40)}` }, `sk-ant-oat01-${alnum(40)}`, /an Anthropic key \(sk-ant-…\) in task/, 'claude_code_oauth_token'],
      ['a GitHub token in a tag', { task: 'fix it', tags: { auth: GH } }, GH, /a GitHub token \(ghp_…\) in tag "auth"/, 'github_token'],
    ])('refuses %s, as push protection does, pointing to the tenant\'s secrets', async (_label, args, token, what, secret) => {
      const t = await h.tenant('enterprise');
      const c = await h.client(t.apiKey);
      const depth = await queueDepth('enterprise');
      const text = await callError(c, 'dispatch', { agent: 'claude', repo: REPO, ...args });
      expect(text).toMatch(what);
      expect(text).toMatch(/stored with the run and shown by get_run and list_runs/);
      expect(text).toContain(`npm run tenant -- set-secret --name ${secret} --tenant ${t.tenantId}`);
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.slice(4, 20));
      expect((await h.stores.runs.list(t.tenantId)).runs).toEqual([]);
      expect(await h.stores.usage.getActive(t.tenantId)).toBe(0);
      expect(await h.stores.usage.getDaily(t.tenantId)).toBe(0);
      expect(await queueDepth('enterprise')).toBe(depth);
    });

    it('refuses an AWS key id, saying the agent gets no AWS keys from Outpost', async () => {
      const text = await callError(client, 'dispatch', { agent: 'shell', repo: REPO, task: `aws s3 ls --access-key ${AWS}` });
      expect(text).toMatch(/an AWS access key id \(AKIA…\) in task/);
      expect(text).toMatch(/set-secret/);
      expect(text).not.toContain(AWS);
    });

    it('accepts a task that only talks about keys', async () => {
      const t = await h.tenant('enterprise');
      await callOk(await h.client(t.apiKey), 'dispatch', { agent: 'shell', repo: REPO, task: 'read ANTHROPIC_API_KEY (sk-ant-...) from the env; rename task-abcdefghijklmnopqrstuvwxyz' });
    });
  });

  describe('admission', () => {
    it('refuses past the active-run limit, naming the limit, the count and when it frees up', async () => {
      const free = await h.tenant('free');
      const c = await h.client(free.apiKey);
      const first = await callOk<Dispatched>(c, 'dispatch', { agent: 'shell', task: 'one', repo: REPO });
      const text = await callError(c, 'dispatch', { agent: 'shell', task: 'two', repo: REPO });
      expect(text).toMatch(/activeRunsPerTenant = 1/);
      expect(text).toMatch(/current count 1/);
      expect(text).toMatch(/ends/);
      expect(await h.stores.usage.getActive(free.tenantId)).toBe(1);
      // Cancelling the run frees the slot.
      await callOk(c, 'cancel_run', { runId: first.runs[0]!.runId });
      await callOk(c, 'dispatch', { agent: 'shell', task: 'three', repo: REPO });
    });

    it('refuses past the daily limit with the reset time, and gives back the active slots it took', async () => {
      const pro = await h.tenant('pro');
      const c = await h.client(pro.apiKey);
      await callOk(c, 'dispatch', { agents: ['shell', 'claude', 'codex'], task: 'x', repo: REPO });
      const text = await callError(c, 'dispatch', { agent: 'shell', task: 'y', repo: REPO, idempotencyKey: 'daily-1' });
      expect(text).toMatch(/runsPerDay = 3/);
      expect(text).toMatch(/current count 3/);
      expect(text).toMatch(/resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
      expect(await h.stores.usage.getActive(pro.tenantId)).toBe(3);
      // The refused dispatch gave its idempotency key back.
      const again = await callError(c, 'dispatch', { agent: 'shell', task: 'y', repo: REPO, idempotencyKey: 'daily-1' });
      expect(again).toMatch(/runsPerDay/);
    });
  });

  describe('budgets', () => {
    /** The first of next month, 00:00 UTC, as the refusal names it. */
    const nextMonth = () => {
      const now = new Date();
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    };

    it('stores the tier\'s default maxCostUsd when none is given, and the given one otherwise (each fan-out run)', async () => {
      // Its own tenant: the suite's shared one is near its active-run limit.
      const t = await h.tenant('enterprise');
      const c = await h.client(t.apiKey);
      const out = await callOk<Dispatched>(c, 'dispatch', { agent: 'shell', task: 'x', repo: REPO });
      expect((await h.stores.runs.get(t.tenantId, out.runs[0]!.runId))?.maxCostUsd).toBe(20);
      const fan = await callOk<Dispatched>(c, 'dispatch', { agents: ['shell', 'claude'], task: 'x', repo: REPO, maxCostUsd: 3.5 });
      for (const r of fan.runs) expect((await h.stores.runs.get(t.tenantId, r.runId))?.maxCostUsd).toBe(3.5);
      const atCeiling = await callOk<Dispatched>(c, 'dispatch', { agent: 'shell', task: 'x', repo: REPO, maxCostUsd: 500 });
      expect((await h.stores.runs.get(t.tenantId, atCeiling.runs[0]!.runId))?.maxCostUsd).toBe(500);
    });

    it.each([
      ['enterprise', 500.01, /maxCostUsd 500\.01 is over the ceiling of \$500 for your tier \(enterprise\); pass 500 or less/],
      ['free', 2.5, /maxCostUsd 2\.5 is over the ceiling of \$2 for your tier \(free\); pass 2 or less/],
    ] as const)('refuses a maxCostUsd over the %s ceiling, naming the ceiling and the tier, and takes nothing', async (tier, maxCostUsd, message) => {
      const t = tier === 'enterprise' ? ent : await h.tenant(tier);
      const c = tier === 'enterprise' ? client : await h.client(t.apiKey);
      const [active, daily, depth] = [await h.stores.usage.getActive(t.tenantId), await h.stores.usage.getDaily(t.tenantId), await queueDepth(tier)];
      const text = await callError(c, 'dispatch', { agent: 'shell', task: 'x', repo: REPO, maxCostUsd });
      expect(text).toMatch(message);
      expect(await h.stores.usage.getActive(t.tenantId)).toBe(active);
      expect(await h.stores.usage.getDaily(t.tenantId)).toBe(daily);
      expect(await queueDepth(tier)).toBe(depth);
    });

    it.each([0, -1])('refuses maxCostUsd %d (it must be above 0)', async (maxCostUsd) => {
      expect(await callError(client, 'dispatch', { agent: 'shell', task: 'x', repo: REPO, maxCostUsd })).toMatch(/maxCostUsd/);
    });

    it('refuses once the month\'s spend reached the tier\'s limit, saying spent, limit and reset, and gives back what it took', async () => {
      const free = await h.tenant('free');
      const c = await h.client(free.apiKey);
      await h.stores.usage.addSpend(free.tenantId, 9.99);
      const ok = await callOk<Dispatched>(c, 'dispatch', { agent: 'shell', task: 'under the limit', repo: REPO });
      await callOk(c, 'cancel_run', { runId: ok.runs[0]!.runId });
      await h.stores.usage.addSpend(free.tenantId, 0.01);
      const depth = await queueDepth('free');
      const text = await callError(c, 'dispatch', { agent: 'shell', task: 'over', repo: REPO, idempotencyKey: 'spend-1' });
      expect(text).toMatch(/monthly spend limit reached: \$10\.00 of \$10\.00 spent this month/);
      expect(text).toMatch(/monthlySpendUsd = 10 for tier free/);
      expect(text).toContain(`resets at ${nextMonth()}`);
      expect(text).not.toMatch(/\n\s+at /);
      expect(await h.stores.usage.getActive(free.tenantId)).toBe(0);
      expect(await h.stores.usage.getDaily(free.tenantId)).toBe(1);
      expect(await queueDepth('free')).toBe(depth);
      // The refusal gave its idempotency key back: the same request is judged afresh.
      expect(await callError(c, 'dispatch', { agent: 'shell', task: 'over', repo: REPO, idempotencyKey: 'spend-1' })).toMatch(/monthly spend limit/);
    });

    it('an unlimited monthly spend (enterprise) never refuses', async () => {
      const t = await h.tenant('enterprise');
      await h.stores.usage.addSpend(t.tenantId, 1_000_000);
      await callOk(await h.client(t.apiKey), 'dispatch', { agent: 'shell', task: 'x', repo: REPO });
    });
  });

  describe('idempotency', () => {
    it('10 concurrent identical dispatches make one set of runs and one message per run', async () => {
      const tenant = await h.tenant('enterprise');
      const clients = await Promise.all(Array.from({ length: 10 }, () => h.client(tenant.apiKey)));
      await drainRunIds('enterprise');
      const args = { agents: ['claude', 'codex'], task: 'same task', repo: REPO, idempotencyKey: 'retry-safe-1' };
      const results = await Promise.all(clients.map((c) => callOk<Dispatched>(c, 'dispatch', args)));
      const ids = results[0]!.runs.map((r) => r.runId);
      expect(ids).toHaveLength(2);
      for (const r of results) expect(r.runs.map((x) => x.runId)).toEqual(ids);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      const listed = await h.stores.runs.list(tenant.tenantId);
      expect(listed.runs.map((r) => r.runId).sort()).toEqual([...ids].sort());
      expect(await h.stores.usage.getActive(tenant.tenantId)).toBe(2);
      const sent = await drainRunIds('enterprise');
      for (const id of ids) expect(sent.filter((s) => s === id)).toHaveLength(1);
      expect(sent).toHaveLength(2);
    });

    it('returns the same runs for a later retry and enqueues nothing', async () => {
      const args = { agent: 'claude', task: 'again', repo: REPO, idempotencyKey: 'retry-safe-2' };
      const first = await callOk<Dispatched>(client, 'dispatch', args);
      await drainRunIds('enterprise');
      const second = await callOk<Dispatched>(client, 'dispatch', args);
      expect(second.replayed).toBe(true);
      expect(second.runs.map((r) => r.runId)).toEqual(first.runs.map((r) => r.runId));
      expect(await drainRunIds('enterprise')).toEqual([]);
    });

    it('refuses the same key with a different request', async () => {
      await callOk(client, 'dispatch', { agent: 'claude', task: 'first', repo: REPO, idempotencyKey: 'retry-safe-3' });
      const result = await call(client, 'dispatch', { agent: 'claude', task: 'second', repo: REPO, idempotencyKey: 'retry-safe-3' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/different request.*new key/);
    });

    it('keys are per tenant: another tenant may use the same key', async () => {
      const other = await h.tenant('enterprise');
      const c = await h.client(other.apiKey);
      const args = { agent: 'claude', task: 'first', repo: REPO, idempotencyKey: 'retry-safe-3' };
      const out = await callOk<Dispatched>(c, 'dispatch', args);
      expect(out.replayed).toBe(false);
    });
  });
});

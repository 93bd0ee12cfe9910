import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { artifactKeys, newRunId, sendJob, type AgentName } from '@outpost/shared';
import { harness, makeRepo, type Harness } from './helpers.js';

// Each adapter through its fake CLI: real flags, real output format, real child process.
describe('worker › agent adapters', () => {
  let h: Harness;
  let repo: { dir: string; head: string };
  beforeAll(async () => {
    h = await harness();
    repo = await makeRepo(h.tmp, { branch: 'develop' });
    await h.setSecret('anthropic_api_key', 'sk-ant-test-anthropic-key-000000000000');
    await h.setSecret('openai_api_key', 'sk-test-openai-key-00000000000000000000');
    await h.setSecret('gemini_api_key', 'gemini-test-key-000000');
    await h.setSecret('xai_api_key', 'xai-test-key-0000000000000000000000');
    await h.startWorker();
  }, 60_000);
  afterAll(async () => h?.stop());

  const cases: { agent: AgentName; usage: Record<string, number> }[] = [
    { agent: 'claude', usage: { inputTokens: 1200, outputTokens: 345, cacheReadTokens: 100, cacheWriteTokens: 50, costUsd: 0.0123 } },
    { agent: 'codex', usage: { inputTokens: 2000, outputTokens: 400, cacheReadTokens: 500 } },
    { agent: 'gemini', usage: { inputTokens: 3000, outputTokens: 600, cacheReadTokens: 200 } },
    { agent: 'aider', usage: { inputTokens: 4200, outputTokens: 1100, costUsd: 0.05 } },
    { agent: 'grok', usage: { inputTokens: 800, outputTokens: 90 } },
  ];

  it.each(cases)('$agent: edits, commits, reports its final message and usage', async ({ agent, usage }) => {
    const run = await h.dispatch({
      agent,
      repo: repo.dir,
      model: 'test-model',
      task: `print working on it\nwrite src/${agent}.txt made by ${agent}\ncommit add ${agent} file\nwrite notes.md uncommitted\nfinal ${agent} finished the task`,
    });
    const end = await h.waitEnd(run);
    expect(end.error).toBeUndefined();
    expect(end.status).toBe('succeeded');
    expect(end.summary?.finalMessage).toContain(`${agent} finished the task`);
    expect(end.summary?.usage).toEqual(usage);
    expect(end.summary).toMatchObject({ filesChanged: 2, insertions: 2, deletions: 0, committed: true });
    expect((end.artifacts ?? []).map((a) => a.name).sort()).toEqual(['changes.bundle', 'log.txt', 'patch.diff', 'summary.json']);
    const objs = await h.s3Objects(artifactKeys.runPrefix(end.tenantId, end.runId));
    const summary = JSON.parse(objs.find((o) => o.key.endsWith('summary.json'))!.body.toString()) as Record<string, unknown>;
    expect(summary).toMatchObject({ status: 'succeeded', baseCommit: repo.head, committed: true });
    expect(objs.find((o) => o.key.endsWith('changes.bundle'))!.body.subarray(0, 15).toString()).toBe('# v2 git bundle');
  });

  it.each(['claude', 'codex', 'gemini', 'aider', 'grok'] as const)('%s: a task larger than one argv element reaches the CLI (stdin or file)', async (agent) => {
    const run = await h.dispatch({ agent, repo: repo.dir, task: `print big task for ${agent}\n# ${'y'.repeat(200_000)}\nfinal big done` });
    const end = await h.waitEnd(run);
    expect(end.error).toBeUndefined();
    expect(end.status).toBe('succeeded');
    expect(end.summary?.finalMessage).toContain('big done');
  });

  it('fails with missing_secret, naming the secret to set, when the tenant has no key', async () => {
    const run = await h.dispatch({ agent: 'claude', repo: repo.dir, task: 'print hi', tenantId: 'ten_nokeys' });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('failed');
    expect(end.error?.code).toBe('missing_secret');
    expect(end.error?.message).toContain('anthropic_api_key');
  });

  it('fails with agent_unavailable when the binary is missing', async () => {
    const w = await h.startWorker({ OUTPOST_AGENT_SHELL_BIN: '/nonexistent/sh', OUTPOST_WORKER_TIER: 'pro' });
    const run = await h.stores.runs.create({
      tenantId: h.tenantId,
      runId: newRunId(),
      tier: 'pro',
      agent: 'shell',
      repo: repo.dir,
      task: 'true',
      taskBytes: 4,
      timeoutSeconds: 60,
      maxAttempts: 3,
    });
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'pro', tenantId: run.tenantId, runId: run.runId });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('failed');
    expect(end.error?.code).toBe('agent_unavailable');
    await w.stop({ graceMs: 0 });
  });
});

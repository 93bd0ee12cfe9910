import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AgentName, SecretName } from '@outpost/shared';
import type { Script } from '../../src/model-api/index.js';
import { startAgentSuite, type AgentSuite } from './harness.js';

// Follow-ups with the real Claude Code 2.1.329 and Codex 0.169.0 through the local stack: the
// follow-up resumes the parent's session, so the API sees the earlier turns.
describe('follow-ups (real CLIs) end to end', () => {
  let suite: AgentSuite;
  let keys = 0;

  beforeAll(async () => {
    suite = await startAgentSuite(['claude', 'codex']);
  }, 900_000);
  afterAll(async () => suite?.stop());

  const AGENTS: [AgentName, SecretName, string][] = [
    ['claude', 'anthropic_api_key', 'sk-ant-api03'],
    ['codex', 'openai_api_key', 'sk-codex'],
  ];

  /** A fresh key answered with `script`, stored as the tenant's secret: the next run's model calls are told apart by it. */
  const useKey = async (agent: string, secret: SecretName, prefix: string, script: Script): Promise<string> => {
    const key = `${prefix}-e2e-follow-${agent}-${++keys}-${'k'.repeat(24)}`;
    suite.api.script(key, script);
    await suite.setSecret(secret, key);
    return key;
  };

  const waitEnd = async (runId: string) => {
    for (let i = 0; i < 12; i++) if ((await suite.call('wait_for_run', { runId, timeoutSeconds: 60 })).ended) break;
    return suite.call('get_run', { runId });
  };

  const patchOf = async (got: Record<string, unknown>) => {
    const a = (got.artifacts as { name: string; url: string }[]).find((x) => x.name === 'patch.diff');
    return a ? (await fetch(a.url)).text() : '';
  };

  it.each(AGENTS)('%s: the follow-up resumes the session (the API sees the earlier turns) and its patch holds both runs', async (agent, secret, prefix) => {
    const marker = agent.toUpperCase();
    await useKey(agent, secret, prefix, [
      { kind: 'shell', command: 'echo one > one.txt' },
      { kind: 'final', text: `PARENT-REPLY-${marker}: wrote one.txt` },
    ]);
    const parent = await suite.runToEnd({ agent, task: `PARENT-TASK-${marker}: write one.txt`, repo: await suite.repo(), timeoutSeconds: 120 });
    expect(parent.error).toBeUndefined();
    expect(parent.status).toBe('succeeded');
    expect(parent.summary?.sessionId).toMatch(/^[0-9a-f-]{36}$/);

    // The resumed conversation already holds one tool result: the script's first shell turn counts as answered.
    const key = await useKey(agent, secret, prefix, [
      { kind: 'shell', command: 'echo one > one.txt' },
      { kind: 'shell', command: 'echo two > two.txt' },
      { kind: 'final', text: 'wrote two.txt' },
    ]);
    const dispatched = await suite.call('dispatch', { continueFrom: parent.runId, task: `FEEDBACK-${marker}: now write two.txt` });
    const childId = (dispatched.runs as { runId: string }[])[0]!.runId;
    const got = await waitEnd(childId);
    const run = got.run as { status: string; error?: unknown; continuation?: { mode: string; reason?: string }; parentRunId?: string };

    expect(run.error).toBeUndefined();
    expect(run.status).toBe('succeeded');
    expect(run).toMatchObject({ parentRunId: parent.runId, continuation: { mode: 'resume' } });
    const reqs = suite.api.requestsFor(key);
    // Resumed: the history holds the parent's tool call, so the script goes on from its second shell turn.
    expect(reqs).toHaveLength(2);
    const first = reqs[0]!;
    expect(first.text).toContain('echo one > one.txt');
    expect(first.text).toContain(`PARENT-TASK-${marker}`);
    expect(first.text).toContain(`PARENT-REPLY-${marker}`);
    expect(first.text).toContain(`FEEDBACK-${marker}`);
    // Resumed, not told: no context preamble in the task.
    expect(first.text).not.toContain('You are continuing earlier work');
    const patch = await patchOf(got);
    expect(patch).toContain('+++ b/one.txt');
    expect(patch).toContain('+++ b/two.txt');

    // One more level: the follow-up's own session (as the resumed CLI kept it) carries all three turns.
    const key3 = await useKey(agent, secret, prefix, [
      { kind: 'shell', command: 'echo one > one.txt' },
      { kind: 'shell', command: 'echo two > two.txt' },
      { kind: 'shell', command: 'echo three > three.txt' },
      { kind: 'final', text: 'wrote three.txt' },
    ]);
    const third = (await suite.call('dispatch', { continueFrom: childId, task: `SECOND-FEEDBACK-${marker}` })).runs as { runId: string }[];
    const got3 = await waitEnd(third[0]!.runId);
    expect(got3.run).toMatchObject({ status: 'succeeded', chainDepth: 2, continuation: { mode: 'resume' } });
    const reqs3 = suite.api.requestsFor(key3);
    expect(reqs3).toHaveLength(2);
    for (const m of [`PARENT-TASK-${marker}`, `FEEDBACK-${marker}`, `SECOND-FEEDBACK-${marker}`]) expect(reqs3[0]!.text).toContain(m);
    const patch3 = await patchOf(got3);
    for (const f of ['one.txt', 'two.txt', 'three.txt']) expect(patch3).toContain(`+++ b/${f}`);
  });
});

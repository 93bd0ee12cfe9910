import { describe, expect, it } from '@jest/globals';
import { buildRunPayload, RunRecord } from '@outpost/shared';
import { chatBody } from '../src/chat-messages.js';

const run = RunRecord.parse({
  tenantId: 'ten_x',
  runId: 'run_01JABCDEFGHJKMNPQRSTVWXYZ0',
  tier: 'pro',
  agent: 'claude',
  repo: 'acme/<script>',
  taskBytes: 3,
  task: 'fix',
  timeoutSeconds: 60,
  status: 'succeeded',
  attempt: 1,
  maxAttempts: 3,
  createdAt: '2026-12-03T00:00:00.000Z',
  queuedAt: '2026-12-03T00:00:00.000Z',
  summary: { durationMs: 1000, exitCode: 0, filesChanged: 2, insertions: 5, deletions: 1 },
  promotion: { status: 'succeeded', requestedAt: '2026-12-03T00:00:00.000Z', branch: 'outpost/fix', pullRequestUrl: 'https://github.com/acme/x/pull/7' },
  tenantStatus: 'ten_x#succeeded',
  tenantAgent: 'ten_x#claude',
  version: 3,
});

describe('chatBody()', () => {
  const payload = buildRunPayload(run, 'run.promoted', '2026-12-03T00:01:00.000Z', 'https://outpost.example.com');

  it('gives Slack escaped mrkdwn with status, repo, agent, summary and links', () => {
    const { text } = JSON.parse(chatBody('slack', payload)) as { text: string };
    expect(text).toContain('run.promoted');
    expect(text).toContain('acme/&lt;script&gt;');
    expect(text).not.toContain('<script>');
    expect(text).toContain('claude');
    expect(text).toContain('2 files changed (+5/-1)');
    expect(text).toContain('<https://outpost.example.com/runs/run_01JABCDEFGHJKMNPQRSTVWXYZ0|Open run>');
    expect(text).toContain('<https://github.com/acme/x/pull/7|Pull request>');
  });

  it('gives Discord content that can ping nobody', () => {
    const body = JSON.parse(chatBody('discord', payload)) as { content: string; allowed_mentions: { parse: string[] } };
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.content).toContain('branch outpost/fix');
    expect(body.content).toContain('[Pull request](<https://github.com/acme/x/pull/7>)');
  });
});

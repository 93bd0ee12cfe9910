import { mkdir, rename, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmParameterStore, type AgentName, type TierName, type WorkerState } from '@outpost/shared';
import { setSecretAdvice, setSecretCommand } from '../src/set-secret-command.js';
import { StoredSecretNames } from '../src/stored-secret-names.js';
import { callError, callOk, REPO, startHarness, type Harness } from './helpers/harness.js';

interface Dispatched {
  runs: { runId: string; agent: string }[];
}

describe('dispatch refuses agents that cannot run', () => {
  let h: Harness;
  const workers: { tier: TierName; workerId: string }[] = [];

  beforeAll(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await h.stores.workers.remove(w.tier, w.workerId);
  });
  afterAll(async () => {
    await h?.close();
  });

  const depth = async (tier: TierName) => {
    const out = await h.stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await h.stores.queues.jobsUrl(tier), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
  };

  /** A live worker of `tier` with `agents`, as a worker's heartbeat writes it. */
  const worker = async (tier: TierName, agents: AgentName[], state: WorkerState = 'idle', ttlSeconds = 60) => {
    const workerId = `wkr_test${workers.length}${Date.now()}`;
    workers.push({ tier, workerId });
    await h.stores.workers.heartbeat({ tier, workerId, state, currentRuns: [], capacity: 1, agents, version: 'test', startedAt: new Date().toISOString() }, ttlSeconds);
  };

  /** Refused with `message`, and nothing taken: no run, no slot, no job message. */
  const expectRefusedCleanly = async (tier: TierName, args: Record<string, unknown>, t: { tenantId: string; apiKey: string }) => {
    const before = await depth(tier);
    const text = await callError(await h.client(t.apiKey), 'dispatch', { task: 'do it', repo: REPO, ...args });
    expect(text).not.toMatch(/\n\s+at /);
    expect((await h.stores.runs.list(t.tenantId)).runs).toEqual([]);
    expect(await h.stores.usage.getActive(t.tenantId)).toBe(0);
    expect(await h.stores.usage.getDaily(t.tenantId)).toBe(0);
    expect(await depth(tier)).toBe(before);
    return text;
  };

  describe('an agent whose secret the tenant has not stored', () => {
    it('refuses codex without openai_api_key, giving the exact set-secret line; once stored, the same dispatch queues', async () => {
      const t = await h.tenant('pro', { secrets: {} });
      const text = await expectRefusedCleanly('pro', { agent: 'codex' }, t);
      expect(text).toMatch(/agent codex needs the secret openai_api_key, which your tenant has not stored/);
      expect(text).toContain(`run:\n  printf %s "$OPENAI_API_KEY" | npm run tenant -- set-secret --name openai_api_key --tenant ${t.tenantId}`);
      // What that line does, then the same dispatch: no stale answer from the edge's cache.
      await h.setSecret(t.tenantId, 'openai_api_key', 'sk-test');
      await callOk(await h.client(t.apiKey), 'dispatch', { agent: 'codex', task: 'do it', repo: REPO });
    });

    it('refuses claude with neither an API key nor a subscription token, offering both', async () => {
      const t = await h.tenant('pro', { secrets: {} });
      const text = await expectRefusedCleanly('pro', { agent: 'claude' }, t);
      expect(text).toMatch(/agent claude needs anthropic_api_key or claude_code_oauth_token/);
      expect(text).toContain(`set-secret --name anthropic_api_key --tenant ${t.tenantId}`);
      expect(text).toContain(`printf %s "$CLAUDE_CODE_OAUTH_TOKEN" | npm run tenant -- set-secret --name claude_code_oauth_token --tenant ${t.tenantId}`);
    });

    it.each([
      ['claude on a subscription token alone', 'claude', { claude_code_oauth_token: 'oat' }],
      ['claude on an API key alone', 'claude', { anthropic_api_key: 'k' }],
      ['aider with any one provider key', 'aider', { gemini_api_key: 'g' }],
      ['shell, which needs none', 'shell', {}],
    ] as const)('accepts %s', async (_label, agent, secrets) => {
      const t = await h.tenant('pro', { secrets });
      await callOk(await h.client(t.apiKey), 'dispatch', { agent, task: 'do it', repo: REPO });
    });

    it('takes an empty value for no secret (as the worker does)', async () => {
      const t = await h.tenant('pro', { secrets: { openai_api_key: '' } });
      expect(await expectRefusedCleanly('pro', { agent: 'codex' }, t)).toMatch(/openai_api_key/);
    });

    it('refuses a fan-out when one agent lacks its key, naming only that one, and queues none of it', async () => {
      const t = await h.tenant('pro', { secrets: { anthropic_api_key: 'k' } });
      const text = await expectRefusedCleanly('pro', { agents: ['claude', 'codex', 'aider'] }, t);
      expect(text).toMatch(/agent codex needs the secret openai_api_key/);
      expect(text).not.toMatch(/agent (claude|aider)/);
    });

    it('never refuses for secrets it cannot read (fails open: the worker decides)', async () => {
      const t = await h.tenant('pro', { secrets: {} });
      const file = path.join(h.stack.config.home, 'secrets.json');
      await rename(file, `${file}.away`);
      await mkdir(file); // reading it now fails with EISDIR
      try {
        await callOk(await h.client(t.apiKey), 'dispatch', { agent: 'codex', task: 'do it', repo: REPO });
      } finally {
        await rmdir(file);
        await rename(`${file}.away`, file);
      }
    });
  });

  describe('an agent no live worker of the tier has', () => {
    it('refuses it, listing the agents the tier has and how to install the missing one', async () => {
      await worker('pro', ['shell', 'claude', 'codex']);
      await worker('pro', ['shell', 'claude']);
      const t = await h.tenant('pro');
      const text = await expectRefusedCleanly('pro', { agents: ['claude', 'gemini'] }, t);
      expect(text).toMatch(/agent gemini is not available on tier pro: its 2 live workers have claude, codex, shell\. Dispatch with one of those/);
      expect(text).toContain('npm run agents -- install gemini');
      await callOk(await h.client(t.apiKey), 'dispatch', { agents: ['claude', 'codex'], task: 'do it', repo: REPO });
    });

    it('looks only at the tenant\'s own tier', async () => {
      await worker('enterprise', ['shell']);
      await worker('pro', ['shell', 'gemini']);
      const t = await h.tenant('pro');
      await callOk(await h.client(t.apiKey), 'dispatch', { agent: 'gemini', task: 'do it', repo: REPO });
    });

    it.each([
      ['no worker of the tier is alive (scale from zero)', async () => {}],
      ['the only worker is draining', async () => worker('pro', ['shell'], 'draining')],
      ['the only heartbeat has expired', async () => worker('pro', ['shell'], 'idle', -1)],
    ])('does not refuse on availability when %s', async (_label, arrange) => {
      await arrange();
      const t = await h.tenant('pro');
      await callOk(await h.client(t.apiKey), 'dispatch', { agent: 'gemini', task: 'do it', repo: REPO });
    });

    it('says which agents are missing before which secrets are (a key does not help an agent the tier lacks)', async () => {
      await worker('pro', ['shell', 'claude']);
      const t = await h.tenant('pro', { secrets: {} });
      const text = await expectRefusedCleanly('pro', { agents: ['codex', 'claude'] }, t);
      expect(text).toMatch(/agent codex is not available on tier pro/);
      expect(text).not.toMatch(/set-secret/);
    });
  });

  it('dispatches that pass both checks still queue as before', async () => {
    await worker('pro', ['shell', 'claude']);
    const t = await h.tenant('pro');
    const out = await callOk<Dispatched>(await h.client(t.apiKey), 'dispatch', { agents: ['claude', 'shell'], task: 'do it', repo: REPO });
    expect(out.runs.map((r) => r.agent)).toEqual(['claude', 'shell']);
  });
});

describe('setSecretCommand()', () => {
  it('in aws mode names the stack\'s KMS alias and asks the operator', () => {
    const ctx = { mode: 'aws', prefix: 'outpost-prod' } as const;
    const line = setSecretCommand(ctx, 'ten_1', 'gemini_api_key');
    expect(line).toBe('printf %s "$GEMINI_API_KEY" | npm run tenant -- set-secret --name gemini_api_key --tenant ten_1 --kms-key alias/outpost-prod-secrets');
    expect(setSecretAdvice(ctx, [line])).toBe(`ask your Outpost operator to run:\n  ${line}`);
  });
});

describe('StoredSecretNames over SSM', () => {
  it('lists names without decrypting (WithDecryption false, every page), and caches until asked for a fresh read', async () => {
    const client = new SSMClient({ region: 'eu-west-1' });
    const ssm = mockClient(client);
    const prefix = '/outpost/prod/tenants/ten_1/';
    ssm
      .on(GetParametersByPathCommand, { Path: prefix, Recursive: true, WithDecryption: false })
      .resolvesOnce({ Parameters: [{ Name: `${prefix}anthropic_api_key`, Value: 'AQICAH…ciphertext' }], NextToken: 'p2' })
      .resolves({ Parameters: [{ Name: `${prefix}github_token`, Value: 'AQICAH…ciphertext' }, { Name: `${prefix}not_a_secret_name`, Value: 'x' }] });
    const names = new StoredSecretNames({ params: new SsmParameterStore(client), env: 'prod' });
    expect([...(await names.stored('ten_1'))].sort()).toEqual(['anthropic_api_key', 'github_token']);
    const calls = ssm.commandCalls(GetParametersByPathCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { Path: prefix, Recursive: true, WithDecryption: false },
      { Path: prefix, Recursive: true, WithDecryption: false, NextToken: 'p2' },
    ]);
    await names.stored('ten_1');
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
    await names.stored('ten_1', { fresh: true });
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(3);
    ssm.restore();
  });
});

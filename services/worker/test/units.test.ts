import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import * as shared from '@outpost/shared';
import { silentLogger } from '@outpost/shared';
import { aiderAdapter, claudeAdapter, codexAdapter, geminiAdapter, grokAdapter, shellAdapter } from '../src/agents/index.js';
import { buildAgentEnv, MissingSecretError } from '../src/agents/env.js';
import { loadWorkerConfig } from '../src/config.js';
import { LineSplitter } from '../src/line-splitter.js';
import { checkRef, InvalidRepoError, parseRepo } from '../src/repo-spec.js';
import { EcsAgentTaskProtection } from '../src/task-protection.js';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveAgentIdentity } from '../src/run-as.js';
import { checkRootAccess, parseNumstat, WorkspaceRootError } from '../src/workspace.js';

describe('repo-spec', () => {
  // The table of accepted and refused repos and refs is libs/shared/test/repo-spec.test.ts: the
  // worker must use that very parser, the one the edge refuses with at dispatch.
  it('is the shared parser, not a copy', () => {
    expect(parseRepo).toBe(shared.parseRepo);
    expect(checkRef).toBe(shared.checkRef);
    expect(InvalidRepoError).toBe(shared.InvalidRepoError);
  });
  it('refuses what the edge refuses (a sample of the shared table)', () => {
    expect(() => parseRepo('https://github.com/a/b c', 'local')).toThrow(InvalidRepoError);
    expect(() => parseRepo('owner/name.', 'aws')).toThrow(InvalidRepoError);
    expect(() => checkRef('a..b')).toThrow(InvalidRepoError);
    expect(parseRepo('http://127.0.0.1:9/x.git', 'local').kind).toBe('http');
  });
});

describe('agent argv', () => {
  const task = '--help; rm -rf / "quoted" $(whoami)';
  it.each([claudeAdapter, codexAdapter, geminiAdapter, aiderAdapter, grokAdapter])('$name passes the task as one element, never as an option', (a) => {
    const args = a.args({ task, model: 'm1', home: '/tmp/home', endpoints: {} });
    const withTask = args.filter((x) => x.includes(task));
    expect(withTask).toHaveLength(1);
    const el = withTask[0]!;
    const i = args.indexOf(el);
    // Either `--flag=<task>` or a positional after `--`.
    expect(el === task ? args[i - 1] === '--' : el.startsWith('--') && el.endsWith(`=${task}`)).toBe(true);
    expect(args).toContain('m1');
  });
  it('shell runs its task as a script with sh -c', () => {
    expect(shellAdapter.args({ task: 'echo hi', home: '/tmp/home', endpoints: {} })).toEqual(['-c', 'echo hi']);
  });
});

describe('buildAgentEnv()', () => {
  it('holds only PATH, HOME, locale, headless switches and the agent key', () => {
    const { env } = buildAgentEnv({ agent: 'claude', secrets: { anthropic_api_key: 'k1', openai_api_key: 'k2', github_token: 't' }, home: '/h', path: '/bin', tmpDir: '/t' });
    expect(env).toEqual({
      PATH: '/bin', HOME: '/h', TMPDIR: '/t', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', CI: '1', TERM: 'dumb', NO_COLOR: '1', GIT_TERMINAL_PROMPT: '0', ANTHROPIC_API_KEY: 'k1',
    });
  });
  it('names the missing secret', () => {
    expect(() => buildAgentEnv({ agent: 'codex', secrets: {}, home: '/h', path: '/bin', tmpDir: '/t' })).toThrow(/openai_api_key/);
    expect(() => buildAgentEnv({ agent: 'aider', secrets: {}, home: '/h', path: '/bin', tmpDir: '/t' })).toThrow(MissingSecretError);
    expect(buildAgentEnv({ agent: 'aider', secrets: { gemini_api_key: 'g' }, home: '/h', path: '/bin', tmpDir: '/t' }).env.GEMINI_API_KEY).toBe('g');
  });
  it('runs claude on a subscription token only when no API key is stored', () => {
    const base = { agent: 'claude' as const, home: '/h', path: '/bin', tmpDir: '/t' };
    const sub = buildAgentEnv({ ...base, secrets: { claude_code_oauth_token: 'oat' } });
    expect(sub.env.CLAUDE_CODE_OAUTH_TOKEN).toBe('oat');
    expect(sub.env.ANTHROPIC_API_KEY).toBeUndefined();
    const both = buildAgentEnv({ ...base, secrets: { anthropic_api_key: 'k1', claude_code_oauth_token: 'oat' } });
    expect(both.env.ANTHROPIC_API_KEY).toBe('k1');
    expect(both.env.CLAUDE_CODE_OAUTH_TOKEN).toBeUndefined();
    expect(both.used).toEqual(['k1']);
    expect(() => buildAgentEnv({ ...base, secrets: {} })).toThrow(/anthropic_api_key, claude_code_oauth_token/);
  });
});

describe('LineSplitter', () => {
  it('joins partial lines across chunks and cuts overlong ones', () => {
    const s = new LineSplitter(4);
    expect(s.push('ab')).toEqual([]);
    expect(s.push('c\r\nde')).toEqual(['abc']);
    expect(s.push('fghij\nk')).toEqual(['defg', 'hij']);
    expect(s.end()).toEqual(['k']);
  });
});

describe('parseNumstat()', () => {
  it('counts text and binary files', () => {
    expect(parseNumstat('3\t1\ta.txt\n-\t-\tb.bin\n10\t0\tc\n')).toEqual({ filesChanged: 3, insertions: 13, deletions: 1 });
  });
});

describe('loadWorkerConfig()', () => {
  const base = { OUTPOST_MODE: 'aws', OUTPOST_WORKER_TIER: 'pro' };
  it("defaults concurrency to the tier's runsPerWorker in both modes (what the scaler sizes pools by), and requires a tier", () => {
    const local = { ...base, OUTPOST_MODE: 'local', OUTPOST_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1', OUTPOST_SQS_ENDPOINT: 'http://127.0.0.1:1', OUTPOST_S3_ENDPOINT: 'http://127.0.0.1:1' };
    expect(loadWorkerConfig(base).concurrency).toBe(1);
    expect(loadWorkerConfig(local).concurrency).toBe(1);
    const tiers = JSON.stringify({ pro: { runsPerWorker: 3 } });
    expect(loadWorkerConfig({ ...base, OUTPOST_TIERS: tiers }).concurrency).toBe(3);
    expect(loadWorkerConfig({ ...local, OUTPOST_TIERS: tiers }).concurrency).toBe(3);
    expect(loadWorkerConfig({ ...local, OUTPOST_TIERS: tiers, OUTPOST_WORKER_CONCURRENCY: '2' }).concurrency).toBe(2);
    expect(() => loadWorkerConfig({ OUTPOST_MODE: 'aws' })).toThrow(/OUTPOST_WORKER_TIER/);
  });
  it('refuses a renew interval too close to the lease', () => {
    expect(() => loadWorkerConfig({ ...base, OUTPOST_LEASE_SECONDS: '4', OUTPOST_LEASE_RENEW_SECONDS: '3' })).toThrow(/OUTPOST_LEASE_RENEW_SECONDS/);
  });
  it('takes agent binary overrides', () => {
    expect(loadWorkerConfig({ ...base, OUTPOST_AGENT_CODEX_BIN: '/opt/codex' }).agentBins.codex).toBe('/opt/codex');
  });
});

describe('EcsAgentTaskProtection', () => {
  it('PUTs the protection state to the ECS agent endpoint', async () => {
    const seen: { method?: string; url?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ protection: { ProtectionEnabled: true } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v4/abc`;
    const p = new EcsAgentTaskProtection(uri, silentLogger, 30);
    await p.set(true);
    await p.set(false);
    server.close();
    expect(seen).toEqual([
      { method: 'PUT', url: '/v4/abc/task-protection/v1/state', body: JSON.stringify({ ProtectionEnabled: true, ExpiresInMinutes: 30 }) },
      { method: 'PUT', url: '/v4/abc/task-protection/v1/state', body: JSON.stringify({ ProtectionEnabled: false }) },
    ]);
  });
  it('reports an HTTP error', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const p = new EcsAgentTaskProtection(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, silentLogger);
    await expect(p.set(true)).rejects.toThrow(/HTTP 500/);
    server.close();
  });
});

describe('checkRootAccess()', () => {
  const identity = resolveAgentIdentity('nobody');
  (identity ? it : it.skip)('refuses a root the agent user cannot reach, naming the variable to change', async () => {
    const hidden = await mkdtemp(path.join(os.tmpdir(), 'outpost-hidden-')); // 0700, owned by root
    const root = path.join(hidden, 'work');
    await mkdir(root);
    await expect(checkRootAccess(root, identity, 'nobody')).rejects.toThrow(WorkspaceRootError);
    await expect(checkRootAccess(root, identity, 'nobody')).rejects.toThrow(/OUTPOST_WORKER_ROOT/);
    await rm(hidden, { recursive: true, force: true });
  });
  (identity ? it : it.skip)('accepts a searchable root', async () => {
    const open = await mkdtemp(path.join(os.tmpdir(), 'outpost-open-'));
    const { chmod } = await import('node:fs/promises');
    await chmod(open, 0o755);
    await expect(checkRootAccess(open, identity, 'nobody')).resolves.toBeUndefined();
    await rm(open, { recursive: true, force: true });
  });
});

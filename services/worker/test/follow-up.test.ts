import { mkdir, readFile, symlink } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import * as tar from 'tar';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { artifactKeys, followUpLink, newRunId, sendJob, type AgentName, type Promotion, type RunRecord } from '@outpost/shared';
import { until } from '@outpost/testkit';

const SESSION = '0b5d3c1e-1111-4222-8333-444455556666';
import { harness, makeRepo, sh, type Harness } from './helpers.js';

describe('worker › follow-ups', () => {
  let h: Harness;
  let remote: string;
  const git = (dir: string, ...args: string[]) => sh('git', ['-c', 'user.name=T', '-c', 'user.email=t@e', ...args], dir).trim();
  const commit = (msg: string) => `git -c user.name=Agent -c user.email=agent@example.com commit -q -m '${msg}'`;

  /** A follow-up as the edge writes it: the parent's repository, one level deeper in its chain. */
  const continueRun = async (parent: RunRecord, task: string, agent: AgentName = 'shell'): Promise<RunRecord> => {
    const run = await h.stores.runs.create({
      tenantId: parent.tenantId,
      runId: newRunId(),
      tier: 'free',
      agent,
      repo: parent.repo,
      task,
      taskBytes: Buffer.byteLength(task),
      timeoutSeconds: 120,
      maxAttempts: 1,
      chain: followUpLink(parent),
    });
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: run.tenantId, runId: run.runId });
    return run;
  };

  const succeed = async (run: RunRecord): Promise<RunRecord> => {
    const end = await h.waitEnd(run);
    expect(end.error).toBeUndefined();
    expect(end.status).toBe('succeeded');
    return end;
  };

  const patchOf = async (run: RunRecord): Promise<string> => {
    const key = run.artifacts?.find((a) => a.name === 'patch.diff')?.key;
    const [obj] = await h.s3Objects(key);
    return obj?.body.toString('utf8') ?? '';
  };

  beforeAll(async () => {
    h = await harness();
    const src = await makeRepo(h.tmp, { branch: 'main', files: { 'README.md': '# project\n' } });
    await mkdir(path.join(h.tmp, 'remotes'), { recursive: true });
    remote = path.join(h.tmp, 'remotes', 'project.git');
    sh('git', ['clone', '-q', '--bare', src.dir, remote], h.tmp);
    await h.startWorker();
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it("starts from the parent's commits and uncommitted changes; its patch holds both runs' changes", async () => {
    const parent = await succeed(
      await h.dispatch({ agent: 'shell', repo: remote, task: `echo one > one.txt && git add one.txt && ${commit('agent: one')} && echo loose > loose.txt` }),
    );
    expect(parent.artifacts?.map((a) => a.name)).toEqual(expect.arrayContaining(['patch.diff', 'changes.bundle']));

    // The follow-up fails unless the parent's result is in its tree (and the parent's commit is its HEAD).
    const child = await succeed(
      await continueRun(parent, `test "$(cat one.txt)" = one && test "$(cat loose.txt)" = loose && git log -1 --format=%s | grep -qx 'agent: one' && echo two > two.txt`),
    );

    expect(child).toMatchObject({ baseCommit: parent.baseCommit, parentRunId: parent.runId, chainDepth: 1, continuation: { mode: 'context' } });
    const patch = await patchOf(child);
    for (const f of ['one.txt', 'loose.txt', 'two.txt']) expect(patch).toContain(`b/${f}`);
    expect(child.summary).toMatchObject({ filesChanged: 3, committed: true });

    // A second follow-up, from a parent that only left a patch (no commits of its own after the first).
    const grandchild = await succeed(await continueRun(child, 'test -f two.txt && echo three > three.txt'));
    const all = await patchOf(grandchild);
    for (const f of ['one.txt', 'loose.txt', 'two.txt', 'three.txt']) expect(all).toContain(`b/${f}`);
    expect(grandchild.chainRootId).toBe(parent.runId);

    // Promote of the last run of the chain pushes the chain's whole change.
    await h.stores.runs.setPromotion({
      tenantId: grandchild.tenantId,
      runId: grandchild.runId,
      promotion: { status: 'pending', requestedAt: new Date().toISOString(), createPullRequest: false, branch: 'chain', commitMessage: 'The chain' },
      expectStatus: 'absent',
    });
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: grandchild.tenantId, runId: grandchild.runId, kind: 'promote' });
    const p = await until<Promotion | undefined>(
      async () => {
        const r = await h.stores.runs.require(grandchild.tenantId, grandchild.runId);
        return r.promotion && r.promotion.status !== 'pending' ? r.promotion : undefined;
      },
      { timeoutMs: 60_000, what: 'promotion' },
    );
    expect(p.error).toBeUndefined();
    expect(git(remote, 'ls-tree', '--name-only', 'chain').split('\n').sort()).toEqual(['README.md', 'loose.txt', 'one.txt', 'three.txt', 'two.txt']);
    expect(git(remote, 'log', '--format=%s', `${parent.baseCommit}..chain`).split('\n')).toEqual(['The chain', 'agent: one']);
  });

  it("promotes a chain as one commit per run with commits: 'chain'", async () => {
    const parent = await succeed(await h.dispatch({ agent: 'shell', repo: remote, task: '# First step\necho a > a.txt' }));
    const child = await succeed(await continueRun(parent, '# Second step\necho b > b.txt'));
    await h.stores.runs.setPromotion({
      tenantId: child.tenantId,
      runId: child.runId,
      promotion: { status: 'pending', requestedAt: new Date().toISOString(), createPullRequest: false, branch: 'per-run', commits: 'chain' },
      expectStatus: 'absent',
    });
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: child.tenantId, runId: child.runId, kind: 'promote' });
    const p = await until<Promotion | undefined>(
      async () => {
        const r = await h.stores.runs.require(child.tenantId, child.runId);
        return r.promotion && r.promotion.status !== 'pending' ? r.promotion : undefined;
      },
      { timeoutMs: 60_000, what: 'promotion' },
    );
    expect(p.error).toBeUndefined();
    expect(git(remote, 'log', '--format=%s', `${parent.baseCommit}..per-run`).split('\n')).toEqual(['# Second step', '# First step']);
    expect(git(remote, 'ls-tree', '--name-only', 'per-run^').split('\n').sort()).toEqual(['README.md', 'a.txt']);
    expect(git(remote, 'ls-tree', '--name-only', 'per-run').split('\n').sort()).toEqual(['README.md', 'a.txt', 'b.txt']);
  });

  it('refuses a hostile session archive whole and continues with context instead', async () => {
    await h.setSecret('anthropic_api_key', 'sk-ant-api03-FollowUpTestKey0123456789abcdefghij');
    const repo = await makeRepo(h.tmp, { branch: 'main' });
    // A parent as a worker would leave it, but with a session archive holding a symlink out of HOME.
    const parent = await h.stores.runs.create({
      tenantId: h.tenantId, runId: newRunId(), tier: 'free', agent: 'claude', repo: repo.dir,
      task: 'write one.txt one', taskBytes: 17, timeoutSeconds: 120, maxAttempts: 1,
    });
    const { leaseToken } = await h.stores.runs.acquireLease({ tenantId: h.tenantId, runId: parent.runId, tier: 'free', workerId: 'wkr_test', leaseMs: 60_000 });
    await h.stores.runs.recordProgress({ tenantId: h.tenantId, runId: parent.runId, leaseToken, baseCommit: repo.head });
    const src = path.join(h.tmp, 'evil-session');
    await mkdir(path.join(src, '.claude/projects/x'), { recursive: true });
    await symlink('/etc/passwd', path.join(src, '.claude/projects/x', `${SESSION}.jsonl`));
    const archive = path.join(h.tmp, 'evil.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: src }, [`.claude/projects/x/${SESSION}.jsonl`]);
    const put = async (name: 'patch.diff' | 'session.tar.gz', body: Buffer) => {
      const key = artifactKeys.artifact(h.tenantId, parent.runId, name);
      await h.stack.clients.s3.send(new PutObjectCommand({ Bucket: h.stores.names.bucket, Key: key, Body: body }));
      return { name, key, bytes: body.length };
    };
    await h.stores.runs.finish({
      tenantId: h.tenantId, runId: parent.runId, leaseToken, status: 'succeeded', exitCode: 0,
      summary: { durationMs: 1, exitCode: 0, filesChanged: 0, insertions: 0, deletions: 0, sessionId: SESSION, finalMessage: 'PARENT-FINAL' },
      artifacts: [await put('patch.diff', Buffer.alloc(0)), await put('session.tar.gz', await readFile(archive))],
    });
    const stored = await h.stores.runs.require(h.tenantId, parent.runId);

    const child = await h.waitEnd(await continueRun(stored, 'write two.txt two', 'claude'));

    expect(child.error).toBeUndefined();
    expect(child.status).toBe('succeeded');
    expect(child.continuation).toEqual({ mode: 'context', reason: expect.stringMatching(/session archive refused: .*SymbolicLink/) });
    expect(await patchOf(child)).toContain('+++ b/two.txt');
  });

  it('fails clearly (replay_failed, no retry) when the parent\'s changes are gone from the bucket', async () => {
    const parent = await succeed(await h.dispatch({ agent: 'shell', repo: remote, task: 'echo x > x.txt' }));
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    for (const a of parent.artifacts ?? []) await h.stack.clients.s3.send(new DeleteObjectCommand({ Bucket: h.stores.names.bucket, Key: a.key }));

    const child = await h.waitEnd(await continueRun(parent, 'echo y > y.txt'));

    expect(child.status).toBe('failed');
    expect(child.error?.code).toBe('replay_failed');
    expect(child.error?.message).toMatch(/patch\.diff of .* is gone \(its artifacts expired\)/);
    expect(child.attempt).toBe(1);
  });
});

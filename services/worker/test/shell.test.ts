import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { artifactKeys, newRunId, sendJob } from '@outpost/shared';
import { harness, makeRepo, type Harness } from './helpers.js';

describe('worker › shell agent', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    await h.startWorker();
  }, 60_000);
  afterAll(async () => h?.stop());

  it('runs a script on a repo whose default branch is not main, with patch, summary and log', async () => {
    const repo = await makeRepo(h.tmp, { branch: 'trunk' });
    const run = await h.dispatch({
      agent: 'shell',
      repo: repo.dir,
      task: 'git rev-parse --abbrev-ref HEAD; echo hello > new.txt; printf "\\000\\001" > bin.dat; echo changed >> README.md; echo done',
    });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('succeeded');
    expect(end.exitCode).toBe(0);
    expect(end.attempt).toBe(1);
    expect(end.baseCommit).toBe(repo.head);
    expect(end.summary).toMatchObject({ exitCode: 0, filesChanged: 3, committed: false, finalMessage: expect.stringContaining('done') });
    expect(end.logTail).toContain('trunk');
    const names = (end.artifacts ?? []).map((a) => a.name).sort();
    expect(names).toEqual(['log.txt', 'patch.diff', 'summary.json']);
    const objects = await h.s3Objects(artifactKeys.runPrefix(end.tenantId, end.runId));
    const patch = objects.find((o) => o.key.endsWith('patch.diff'))!.body.toString();
    expect(patch).toContain('new.txt');
    expect(patch).toContain('GIT binary patch');
    const log = objects.find((o) => o.key.endsWith('log.txt'))!.body.toString();
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z sys attempt 1/m);
    expect(log).toMatch(/Z out hello|Z out done/);
    expect(objects.some((o) => o.key.includes('/log/'))).toBe(true);
  });

  it('reads a large task from S3 when the run holds only its key', async () => {
    const repo = await makeRepo(h.tmp);
    const runId = newRunId();
    const taskKey = artifactKeys.artifact(h.tenantId, runId, 'task.txt');
    const task = `# ${'x'.repeat(500_000)}\necho big task ran`;
    await h.stack.clients.s3.send(new PutObjectCommand({ Bucket: h.stores.names.bucket, Key: taskKey, Body: task }));
    const run = await h.stores.runs.create({
      tenantId: h.tenantId, runId, tier: 'free', agent: 'shell', repo: repo.dir, taskKey, taskBytes: task.length, timeoutSeconds: 60, maxAttempts: 3,
    });
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: h.tenantId, runId });
    const end = await h.waitEnd(run);
    expect(end.error).toBeUndefined();
    expect(end.status).toBe('succeeded');
    expect(end.logTail).toContain('big task ran');
  });
});

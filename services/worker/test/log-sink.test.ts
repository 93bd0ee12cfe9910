import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { artifactKeys, silentLogger } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { LogSink } from '../src/log-sink.js';
import { harness, type Harness } from './helpers.js';

const SECRET = 'sk-ant-api03-SINKsecretVALUE0123456789abcdef';

describe('LogSink', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  }, 60_000);
  afterAll(async () => h?.stop());

  const sink = (runId: string, progress: { tail: string; chunks: number }[]) =>
    new LogSink({
      s3: h.stack.clients.s3,
      bucket: h.stores.names.bucket,
      tenantId: h.tenantId,
      runId,
      tier: 'pro',
      startSeq: 0,
      secrets: [SECRET],
      file: path.join(h.tmp, `${runId}.log`),
      logger: silentLogger,
      flushMs: 200,
      onProgress: async (tail, chunks) => void progress.push({ tail, chunks }),
    });

  it('ships a line to S3 and the tail soon after it is printed, even when the agent then goes quiet', async () => {
    const progress: { tail: string; chunks: number }[] = [];
    const s = sink('run_quiet', progress);
    s.append('out', ['only line']);
    await until(() => progress.some((p) => p.tail.includes('only line')), { timeoutMs: 5000 });
    const chunks = await h.s3Objects(artifactKeys.logChunkPrefix(h.tenantId, 'run_quiet'));
    expect(chunks.map((c) => c.body.toString()).join('')).toMatch(/Z out only line\n$/);
    await s.close();
  });

  it('redacts the tenant secrets and token patterns in chunks, tail and file', async () => {
    const progress: { tail: string; chunks: number }[] = [];
    const s = sink('run_secret', progress);
    s.append('out', [`before ${SECRET} after`]);
    s.append('err', [`token ghp_${'a'.repeat(36)} end`]);
    await s.close();
    const all = (await h.s3Objects(artifactKeys.runPrefix(h.tenantId, 'run_secret'))).map((o) => o.body.toString()).join('');
    expect(all).toContain('before [REDACTED] after');
    expect(all).toContain('token [REDACTED] end');
    expect(all).not.toContain(SECRET);
    expect(await readFile(path.join(h.tmp, 'run_secret.log'), 'utf8')).not.toContain(SECRET);
    expect(progress.at(-1)?.tail).toContain('before [REDACTED] after');
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { artifactTagging, silentLogger } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { uploadFile, uploadJson } from '../src/artifacts.js';
import { LogSink } from '../src/log-sink.js';

/**
 * The bucket's lifecycle expires artifacts by the tag naming their run's tier (keys do not name
 * it). fauxqs ignores tags, so this records the `x-amz-tagging` header the real client sends.
 */
function recordTagging(s3: S3Client): { seen: Map<string, string | undefined>; remove(): void } {
  const seen = new Map<string, string | undefined>();
  const name = `record-tagging-${Math.random()}`;
  s3.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { method?: string; path?: string; query?: Record<string, unknown>; headers?: Record<string, string> };
      // Object writes: PUT (single or part), POST (create multipart); parts carry no tag, the create does.
      if (req.method === 'PUT' && !req.query?.partNumber) seen.set(req.path ?? '', req.headers?.['x-amz-tagging']);
      if (req.method === 'POST' && req.query && 'uploads' in req.query) seen.set(req.path ?? '', req.headers?.['x-amz-tagging']);
      return next(args);
    },
    { step: 'finalizeRequest', name },
  );
  return { seen, remove: () => s3.middlewareStack.remove(name) };
}

describe('artifact tagging', () => {
  let stack: TestStack;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'outpost-tag-'));
    stack = await startTestStack({ home: dir });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('tags log chunks, small and multipart artifacts and summaries with the run tier', async () => {
    const rec = recordTagging(stack.clients.s3);
    try {
      const bucket = `${stack.config.prefix}-artifacts`;
      const target = { s3: stack.clients.s3, bucket, tenantId: 'ten_x', runId: 'run_x', tier: 'free' as const };
      const small = path.join(dir, 'small.diff');
      const large = path.join(dir, 'large.txt');
      await writeFile(small, 'diff --git a b\n');
      await writeFile(large, Buffer.alloc(6 * 1024 * 1024, 0x61));
      await uploadFile(target, 'patch.diff', small, 'text/x-diff');
      await uploadFile(target, 'log.txt', large, 'text/plain');
      await uploadJson(target, 'summary.json', { ok: true });
      const sink = new LogSink({
        ...target,
        startSeq: 0,
        secrets: [],
        file: path.join(dir, 'sink.log'),
        logger: silentLogger,
        onProgress: async () => {},
      });
      sink.append('out', ['hello']);
      await sink.close();

      const paths = [...rec.seen.keys()];
      expect(paths.some((p) => p.endsWith('/patch.diff'))).toBe(true);
      expect(paths.some((p) => p.endsWith('/log.txt'))).toBe(true);
      expect(paths.some((p) => p.endsWith('/summary.json'))).toBe(true);
      expect(paths.some((p) => /\/log\/0+\.txt$/.test(p))).toBe(true);
      for (const [p, tagging] of rec.seen) expect({ path: p, tagging }).toEqual({ path: p, tagging: artifactTagging('free') });
    } finally {
      rec.remove();
    }
  }, 60_000);
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { artifactKeys, silentLogger } from '@outpost/shared';
import { LogSink } from '../src/log-sink.js';
import { harness, type Harness } from './helpers.js';

const SECRET = 'sk-ant-api03-STREAMsecretVALUE0123456789abcdef';

// A large log goes to S3 as log.txt while it is written (a multipart upload fed from the sink).
describe('LogSink › log.txt streamed while written', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  }, 60_000);
  afterAll(async () => h?.stop());

  const sink = (runId: string) =>
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
      maxLiveBytes: 64 * 1024,
      streamAfterBytes: 64 * 1024,
      onProgress: async () => {},
    });
  /** ~7 MB of lines (more than one 5 MiB part), a secret in some. */
  const fill = async (s: LogSink) => {
    for (let i = 0; i < 700; i++) {
      s.append('out', Array.from({ length: 100 }, (_, j) => `line ${i}.${j} ${j === 50 ? SECRET : 'x'.repeat(60)}`));
      if (s.pressure) await s.drained();
    }
  };
  const logTxt = async (runId: string) => (await h.s3Objects(artifactKeys.runPrefix(h.tenantId, runId))).find((o) => o.key.endsWith('/log.txt'));

  it('is completed on close with keepLog: the object is the file, redacted', async () => {
    const s = sink('run_stream_keep');
    await fill(s);
    await s.close({ keepLog: () => true });
    const file = await readFile(path.join(h.tmp, 'run_stream_keep.log'));
    expect(s.logArtifact).toEqual({ name: 'log.txt', key: artifactKeys.artifact(h.tenantId, 'run_stream_keep', 'log.txt'), bytes: file.length });
    const obj = await logTxt('run_stream_keep');
    expect(obj?.body.equals(file)).toBe(true);
    expect(obj?.body.toString()).not.toContain(SECRET);
    expect(obj?.body.toString()).toContain('line 699.50 [REDACTED]');
  });

  it.each([
    ['closed without keepLog', (s: LogSink) => s.close()],
    ['closed when keepLog says no (the lease is gone)', (s: LogSink) => s.close({ keepLog: () => false })],
    ['abandoned', (s: LogSink) => s.abandon()],
  ])('is dropped when %s', async (_, end) => {
    const runId = `run_stream_drop_${Math.random().toString(36).slice(2, 8)}`;
    const s = sink(runId);
    await fill(s);
    await end(s);
    expect(s.logArtifact).toBeUndefined();
    expect(await logTxt(runId)).toBeUndefined();
  });

  it('leaves a small log to the file upload', async () => {
    const s = sink('run_stream_small');
    s.append('out', ['just a line']);
    await s.close({ keepLog: () => true });
    expect(s.logArtifact).toBeUndefined();
    expect(await logTxt('run_stream_small')).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { artifactKeys, artifactTagging, silentLogger } from '@outpost/shared';
import { LogSink } from '../src/log-sink.js';
import { LogUpload } from '../src/log-upload.js';
import { harness, type Harness } from './helpers.js';

const MiB = 1024 * 1024;

describe('LogUpload: log.txt uploaded while it is written (real S3 emulator)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  }, 60_000);
  afterAll(async () => h?.stop());

  const upload = (key: string, bucket = h.stores.names.bucket, drains: { n: number } = { n: 0 }) =>
    new LogUpload({ s3: h.stack.clients.s3, bucket, key, contentType: 'text/plain; charset=utf-8', tagging: artifactTagging('pro'), logger: silentLogger, onDrain: () => drains.n++ });
  const text = (b: Buffer) => b.toString('utf8');
  const object = async (key: string) => {
    try {
      const out = await h.stack.clients.s3.send(new GetObjectCommand({ Bucket: h.stores.names.bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch {
      return undefined;
    }
  };
  /** Lines of distinct text, so a part out of order or twice would show. */
  const block = (i: number) => Buffer.from(`${String(i).padStart(8, '0')} ${'x'.repeat(64 * 1024 - 10)}\n`);

  it('a log smaller than a part is one PUT, byte for byte', async () => {
    const u = upload('t/small/log.txt');
    u.write('one\n');
    u.write('two\n');
    expect(await u.complete()).toBe(true);
    expect((await object('t/small/log.txt'))?.toString()).toBe('one\ntwo\n');
  });

  it('a log of several parts arrives whole and in order, with at most two parts held, and says when it drained', async () => {
    const drains = { n: 0 };
    const u = upload('t/big/log.txt', undefined, drains);
    const written: Buffer[] = [];
    let maxHeld = 0;
    for (let i = 0; i < 12 * 16; i++) {
      // 12 MiB in 64 KiB writes, pausing as the sink would when pressure is on.
      while (u.pressure) await new Promise((r) => setTimeout(r, 5));
      const b = block(i);
      written.push(b);
      u.write(text(b));
      maxHeld = Math.max(maxHeld, (u as unknown as { used: number }).used);
    }
    expect(await u.complete()).toBe(true);
    const got = await object('t/big/log.txt');
    expect(got?.length).toBe(12 * MiB);
    expect(got?.equals(Buffer.concat(written))).toBe(true);
    expect(u.bytes).toBe(12 * MiB);
    expect(maxHeld).toBeLessThan(5 * MiB + 64 * 1024 + 1);
    expect(drains.n).toBeGreaterThanOrEqual(2);
  });

  it('abort leaves no object, also after parts went up', async () => {
    const u = upload('t/aborted/log.txt');
    for (let i = 0; i < 6 * 16; i++) u.write(text(block(i)));
    await u.abort();
    await u.abort();
    expect(await object('t/aborted/log.txt')).toBeUndefined();
    // Nothing written after an abort counts.
    u.write('late');
    expect(await u.complete()).toBe(false);
    expect(await object('t/aborted/log.txt')).toBeUndefined();
  });

  it('an S3 failure makes complete() say false (the caller then uploads the file); nothing half-written remains', async () => {
    const u = upload('t/failed/log.txt', 'no-such-bucket-for-logs');
    for (let i = 0; i < 6 * 16; i++) u.write(text(block(i)));
    expect(u.pressure).toBe(false);
    expect(await u.complete()).toBe(false);
    await expect(h.stack.clients.s3.send(new HeadObjectCommand({ Bucket: 'no-such-bucket-for-logs', Key: 't/failed/log.txt' }))).rejects.toThrow();
  });

  describe('through the log sink', () => {
    const sink = (runId: string) =>
      new LogSink({
        s3: h.stack.clients.s3,
        bucket: h.stores.names.bucket,
        tenantId: h.tenantId,
        runId,
        tier: 'pro',
        startSeq: 0,
        secrets: ['sk-ant-api03-UPLOADsecretVALUE0123456789'],
        file: path.join(h.tmp, `${runId}.log`),
        logger: silentLogger,
        streamLog: true,
        onProgress: async () => {},
      });

    it('the kept log.txt is the file, byte for byte, redacted', async () => {
      const s = sink('run_streamed');
      for (let i = 0; i < 200; i++) s.append('out', [`line ${i} ${'y'.repeat(30_000)}`, i === 7 ? 'key sk-ant-api03-UPLOADsecretVALUE0123456789 here' : 'plain']);
      await s.close();
      const ref = await s.keepLog();
      expect(ref).toMatchObject({ name: 'log.txt', key: artifactKeys.artifact(h.tenantId, 'run_streamed', 'log.txt') });
      const stored = await object(ref!.key);
      const file = await readFile(path.join(h.tmp, 'run_streamed.log'));
      expect(stored?.equals(file)).toBe(true);
      expect(ref!.bytes).toBe(file.length);
      expect(file.toString()).not.toContain('UPLOADsecret');
    });

    it('a line too long for a part\'s slack stops the streaming: keepLog says so, and the file has everything', async () => {
      const s = sink('run_long_line');
      s.append('out', ['short']);
      s.append('out', ['z'.repeat(7 * MiB)]);
      await s.close();
      expect(await s.keepLog()).toBeUndefined();
      expect(await object(artifactKeys.artifact(h.tenantId, 'run_long_line', 'log.txt'))).toBeUndefined();
      expect((await readFile(path.join(h.tmp, 'run_long_line.log'))).length).toBeGreaterThan(7 * MiB);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { artifactKeys, createAwsClients, newRunId, resourceNames, type AwsClients } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { readLogLines, type LogOf } from '../src/run-logs.js';

/** Counts the commands a real S3 client sends, by name (a middleware on the client itself). */
function countCommands(s3: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

describe('readLogLines()', () => {
  let home: string;
  let stack: TestStack;
  let clients: AwsClients;
  let bucket: string;
  const tenantId = 'ten_logs';

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-run-logs-'));
    stack = await startTestStack({ home });
    clients = createAwsClients(stack.config);
    bucket = resourceNames(stack.config.prefix).bucket;
  });
  afterAll(async () => {
    clients?.destroy();
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  /** A running run whose log has `chunks` chunks of `perChunk` lines each; the item records them all. */
  async function seedRun(chunks: number, perChunk: number, options: { recorded?: number | undefined; skip?: number[] } = {}): Promise<LogOf> {
    const runId = newRunId();
    const puts: Promise<unknown>[] = [];
    for (let seq = 0; seq < chunks; seq++) {
      if (options.skip?.includes(seq)) continue;
      const body = Array.from({ length: perChunk }, (_, i) => `chunk ${seq} line ${i}\n`).join('');
      puts.push(stack.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: artifactKeys.logChunk(tenantId, runId, seq), Body: body })));
      if (puts.length >= 50) await Promise.all(puts.splice(0));
    }
    await Promise.all(puts);
    return {
      tenantId, runId, status: 'running',
      logTail: 'only the tail\n',
      ...('recorded' in options ? (options.recorded === undefined ? {} : { logChunks: options.recorded }) : { logChunks: chunks }),
    };
  }

  it('reads the tail of a long log with as many S3 calls as of a short one, and no LIST', async () => {
    const short = await seedRun(3, 20);
    const long = await seedRun(1_200, 20); // past one LIST page (1,000 keys)
    const shortCounts = countCommands(clients.s3);
    const shortOut = await readLogLines(clients.s3, bucket, short, 50);
    const longClient = createAwsClients(stack.config);
    const longCounts = countCommands(longClient.s3);
    const longOut = await readLogLines(longClient.s3, bucket, long, 50);
    longClient.destroy();

    expect(longOut.lines).toHaveLength(50);
    expect(longOut.lines.at(-1)).toBe('chunk 1199 line 19');
    expect(longOut.lines[0]).toBe('chunk 1197 line 10');
    expect(shortOut.lines.at(-1)).toBe('chunk 2 line 19');
    expect(longCounts.get('ListObjectsV2Command')).toBeUndefined();
    expect(Object.fromEntries(longCounts)).toEqual({ GetObjectCommand: 3 });
    expect(total(longCounts)).toBe(total(shortCounts));
  });

  it('skips a chunk whose upload failed and reads on past it', async () => {
    const run = await seedRun(6, 10, { skip: [4] });
    const out = await readLogLines(clients.s3, bucket, run, 15);
    expect(out).toMatchObject({ source: 'chunks' });
    expect(out.lines).toEqual([...Array.from({ length: 5 }, (_, i) => `chunk 3 line ${i + 5}`), ...Array.from({ length: 10 }, (_, i) => `chunk 5 line ${i}`)]);
  });

  it('never reads more than 16 chunks, however many lines are asked', async () => {
    const run = await seedRun(40, 2);
    const s3 = createAwsClients(stack.config).s3;
    const own = countCommands(s3);
    const out = await readLogLines(s3, bucket, run, 500);
    expect(out.lines).toHaveLength(32);
    expect(Object.fromEntries(own)).toEqual({ GetObjectCommand: 16 });
    s3.destroy();
  });

  it('still reads a run whose item has no chunk count yet, by listing its chunks', async () => {
    const run = await seedRun(2, 5, { recorded: undefined });
    expect(run.logChunks).toBeUndefined();
    const out = await readLogLines(clients.s3, bucket, run, 8);
    expect(out).toEqual({ source: 'chunks', lines: [...Array.from({ length: 3 }, (_, i) => `chunk 0 line ${i + 2}`), ...Array.from({ length: 5 }, (_, i) => `chunk 1 line ${i}`)] });
  });

  it('answers from the item alone when its tail holds enough lines', async () => {
    const run = await seedRun(1, 5);
    const s3 = createAwsClients(stack.config).s3;
    const counts = countCommands(s3);
    expect(await readLogLines(s3, bucket, run, 1)).toEqual({ source: 'tail', lines: ['only the tail'] });
    expect(total(counts)).toBe(0);
    s3.destroy();
  });
});

import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { artifactKeys, type RunRecord } from '@outpost/shared';

/** Most chunk objects read to fill a log request (each is at most ~256 KiB). */
const MAX_CHUNKS = 16;

export interface LogLines {
  lines: string[];
  source: 'tail' | 'chunks' | 'none';
}

/**
 * The last `count` lines of a run's log: from the run's logTail when it holds enough, else from
 * the newest live log chunks in S3 (`log/{seq}.txt`, keys sort by sequence).
 */
export async function readLogLines(s3: S3Client, bucket: string, run: RunRecord, count: number): Promise<LogLines> {
  const tail = splitLines(run.logTail ?? '');
  if (tail.length >= count) return { lines: tail.slice(-count), source: 'tail' };
  if (!run.logChunks && run.status === 'queued') return tail.length ? { lines: tail, source: 'tail' } : { lines: [], source: 'none' };
  const keys = await listChunkKeys(s3, bucket, artifactKeys.logChunkPrefix(run.tenantId, run.runId));
  if (keys.length === 0) return tail.length ? { lines: tail, source: 'tail' } : { lines: [], source: 'none' };
  let text = '';
  let lines: string[] = [];
  for (let i = keys.length - 1; i >= 0 && keys.length - i <= MAX_CHUNKS; i--) {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[i] }));
    text = (await out.Body?.transformToString('utf8')) + text;
    lines = splitLines(text);
    // The first line of the oldest chunk read may be partial: only stop when we have one spare.
    if (lines.length > count) break;
  }
  const fromChunks = lines.length > count ? lines.slice(-count) : lines;
  return fromChunks.length >= tail.length ? { lines: fromChunks, source: 'chunks' } : { lines: tail, source: 'tail' };
}

async function listChunkKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

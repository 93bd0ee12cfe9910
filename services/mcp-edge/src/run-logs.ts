import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { artifactKeys, type RunRecord } from '@outpost/shared';

/** Most chunk objects read to fill a log request (each is at most ~256 KiB). */
const MAX_CHUNKS = 16;

/** The slice of a run the log reader uses. */
export type LogOf = Pick<RunRecord, 'tenantId' | 'runId' | 'status' | 'logTail' | 'logChunks'>;

export interface LogLines {
  lines: string[];
  source: 'tail' | 'chunks' | 'none';
}

/**
 * The last `count` lines of a run's log: from the run's logTail when it holds enough, else from
 * the newest live log chunks in S3 (`log/{seq}.txt`).
 *
 * The run item is the index: the log sink records `logChunks` (the next chunk number) in the same
 * write as the tail, so the newest chunk is `logChunks - 1` and is read directly, newest first:
 * at most MAX_CHUNKS GETs whatever the log's length, never a LIST. Chunks uploaded after that
 * write (≤ one flush, or a worker that died) show up at the next progress write, as the tail does.
 * A run with no `logChunks` yet (a worker died between its first chunk and its first progress
 * write) is listed: that prefix holds at most a chunk or two.
 */
export async function readLogLines(s3: S3Client, bucket: string, run: LogOf, count: number): Promise<LogLines> {
  const tail = splitLines(run.logTail ?? '');
  if (tail.length >= count) return { lines: tail.slice(-count), source: 'tail' };
  if (!run.logChunks && run.status === 'queued') return tail.length ? { lines: tail, source: 'tail' } : { lines: [], source: 'none' };
  const keys =
    run.logChunks !== undefined
      ? newestFirst(run.logChunks).map((seq) => artifactKeys.logChunk(run.tenantId, run.runId, seq))
      : (await listChunkKeys(s3, bucket, artifactKeys.logChunkPrefix(run.tenantId, run.runId))).reverse().slice(0, MAX_CHUNKS);
  if (keys.length === 0) return tail.length ? { lines: tail, source: 'tail' } : { lines: [], source: 'none' };
  let text = '';
  let lines: string[] = [];
  for (const key of keys) {
    const body = await readChunk(s3, bucket, key);
    if (body === undefined) continue;
    text = body + text;
    lines = splitLines(text);
    // The first line of the oldest chunk read may be partial: only stop when we have one spare.
    if (lines.length > count) break;
  }
  const fromChunks = lines.length > count ? lines.slice(-count) : lines;
  return fromChunks.length >= tail.length && fromChunks.length > 0 ? { lines: fromChunks, source: 'chunks' } : tail.length ? { lines: tail, source: 'tail' } : { lines: [], source: 'none' };
}

/** Chunk numbers from the newest down, at most MAX_CHUNKS of them. */
function newestFirst(chunks: number): number[] {
  const seqs: number[] = [];
  for (let seq = chunks - 1; seq >= 0 && seqs.length < MAX_CHUNKS; seq--) seqs.push(seq);
  return seqs;
}

/** A chunk's text, or undefined when it is missing (its upload failed: the sink moves on). */
async function readChunk(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
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

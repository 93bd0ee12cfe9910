import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { artifactKeys } from '@outpost/shared';

/** A piece of the live log: `text` starts at byte `offset`; `end` is the offset after it. */
export interface LogPiece {
  offset: number;
  end: number;
  text: string;
}

/**
 * Follows a run's live log chunks (`log/{seq}.txt`, the worker appends one every flush): each
 * `poll()` lists only keys after the last one seen and reads the new chunks, in order. Byte offsets
 * count across chunks, so a client resumes from the last offset it got.
 */
export class LiveLog {
  private lastKey: string | undefined;
  private offset = 0;
  private readonly prefix: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    tenantId: string,
    runId: string,
    /** Bytes the client already has: chunks before it are skipped, a chunk across it is cut. */
    private readonly from = 0,
  ) {
    this.prefix = artifactKeys.logChunkPrefix(tenantId, runId);
  }

  /** Chunks seen so far. */
  chunks = 0;

  /** Bytes of log seen so far (sent or skipped). */
  get bytes(): number {
    return this.offset;
  }

  /** The chunks written since the last poll (the part at or after `from`). */
  async poll(): Promise<LogPiece[]> {
    const keys: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix,
          ...(token ? { ContinuationToken: token } : this.lastKey ? { StartAfter: this.lastKey } : {}),
        }),
      );
      for (const o of out.Contents ?? []) if (o.Key) keys.push({ key: o.Key, size: o.Size ?? 0 });
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    keys.sort((a, b) => a.key.localeCompare(b.key));
    const pieces: LogPiece[] = [];
    for (const { key, size } of keys) {
      const start = this.offset;
      this.offset += size;
      this.lastKey = key;
      this.chunks++;
      if (this.offset <= this.from || size === 0) continue;
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
      const skip = Math.max(0, this.from - start);
      pieces.push({ offset: start + skip, end: start + body.length, text: body.subarray(skip).toString('utf8') });
    }
    return pieces;
  }
}

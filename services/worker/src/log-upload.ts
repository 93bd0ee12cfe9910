import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { artifactKeys, artifactTagging, type ArtifactRef, type Logger, type TierName } from '@outpost/shared';

/** Same part size and parallelism as a file upload (artifacts.ts): memory stays bounded. */
const PART_SIZE = 5 * 1024 * 1024;

export interface LogUploadOptions {
  s3: S3Client;
  bucket: string;
  tenantId: string;
  runId: string;
  tier: TierName;
  logger: Logger;
  /** Called when the upload can take more after `write` returned false (or it failed). */
  onDrain: () => void;
}

/**
 * log.txt uploaded while the run writes it (a multipart upload fed from the redacted log), so a
 * large log is in S3 when the agent ends instead of being read back from disk and sent after it.
 * A failure is not fatal: `failed` turns true, writes are dropped, and the caller uploads the file.
 */
export class LogUpload {
  private readonly body = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly upload: Upload;
  private readonly done: Promise<boolean>;
  private bytes = 0;
  failed = false;

  constructor(private readonly o: LogUploadOptions) {
    this.upload = new Upload({
      client: o.s3,
      params: {
        Bucket: o.bucket,
        Key: artifactKeys.artifact(o.tenantId, o.runId, 'log.txt'),
        Body: this.body,
        ContentType: 'text/plain; charset=utf-8',
        Tagging: artifactTagging(o.tier),
      },
      partSize: PART_SIZE,
      queueSize: 2,
    });
    this.body.on('drain', o.onDrain);
    this.done = this.upload.done().then(
      () => true,
      (err: unknown) => {
        if (!this.failed) o.logger.warn({ err }, 'streaming log.txt upload failed; it is sent from disk at the end');
        this.fail();
        return false;
      },
    );
  }

  /** True while the upload wants the producer to wait for `onDrain`. */
  get needDrain(): boolean {
    return !this.failed && this.body.writableNeedDrain;
  }

  write(text: string): void {
    if (this.failed) return;
    this.bytes += Buffer.byteLength(text);
    this.body.write(text);
  }

  /** Ends the log; its artifact, or undefined when the upload failed. */
  async finish(): Promise<ArtifactRef | undefined> {
    if (!this.failed) this.body.end();
    return (await this.done) ? { name: 'log.txt', key: artifactKeys.artifact(this.o.tenantId, this.o.runId, 'log.txt'), bytes: this.bytes } : undefined;
  }

  /** Drops the upload (its parts are deleted): the log is not to be kept in S3 from here. */
  async abort(): Promise<void> {
    this.fail();
    await this.upload.abort().catch(() => undefined);
    await this.done;
  }

  private fail(): void {
    if (this.failed) return;
    this.failed = true;
    this.body.destroy();
    this.o.onDrain();
  }
}

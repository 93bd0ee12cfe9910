import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Logger } from '@outpost/shared';

export interface LogUploadOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  tagging: string;
  logger: Logger;
  /** Called when a part finished uploading (the producer may write again). */
  onDrain: () => void;
}

const MiB = 1024 * 1024;
/** S3's smallest part; 10,000 parts of it hold a 50 GB log. */
const PART = 5 * MiB;
/** Room past a full part for what arrives while the producer pauses (a pipe read or two per stream). */
const SLACK = MiB;

/**
 * log.txt uploaded while the agent writes it: a multipart upload fed by the log sink through two
 * fixed buffers (one filling, one in flight), so its memory is 12 MiB whatever the log's size and
 * no per-line allocation outlives its write. The object exists only once `complete()` runs
 * (CompleteMultipartUpload); `abort()` leaves nothing. Any S3 error ends the attempt quietly:
 * `complete()` says so, and the caller uploads the file on disk as before.
 */
export class LogUpload {
  private readonly buffers = [Buffer.allocUnsafe(PART + SLACK), Buffer.allocUnsafe(PART + SLACK)];
  private current = 0;
  private used = 0;
  private uploadId: Promise<string> | undefined;
  private readonly parts: CompletedPart[] = [];
  private inFlight: Promise<void> | undefined;
  private failed = false;
  private ended = false;
  private completed = false;
  private aborted = false;
  /** Bytes written (the object's size once complete). */
  bytes = 0;

  constructor(private readonly o: LogUploadOptions) {}

  /** True while a whole part waits for the one in flight: the producer should pause. */
  get pressure(): boolean {
    return !this.failed && this.inFlight !== undefined && this.used >= PART;
  }

  write(text: string): void {
    if (this.failed || this.ended) return;
    const need = Buffer.byteLength(text);
    const buf = this.buffers[this.current]!;
    if (need > buf.length - this.used) return this.giveUp('a log write larger than the room left in its part');
    this.used += buf.write(text, this.used, 'utf8');
    this.bytes += need;
    if (!this.inFlight && this.used >= PART) this.sendPart();
  }

  /** Uploads what is left and completes the object; false when the upload failed or was aborted (nothing was written). */
  async complete(): Promise<boolean> {
    this.ended = true;
    await this.settled();
    if (this.failed || this.aborted) return false;
    try {
      if (!this.uploadId) {
        // Smaller than one part: one PUT.
        const body = this.buffers[this.current]!.subarray(0, this.used);
        await this.o.s3.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: this.o.key, Body: body, ContentType: this.o.contentType, Tagging: this.o.tagging }));
      } else {
        if (this.used > 0) {
          this.sendPart();
          await this.settled();
          if (this.failed) return false;
        }
        const UploadId = await this.uploadId;
        await this.o.s3.send(new CompleteMultipartUploadCommand({ Bucket: this.o.bucket, Key: this.o.key, UploadId, MultipartUpload: { Parts: this.parts } }));
      }
      this.completed = true;
      return true;
    } catch (err) {
      this.o.logger.warn({ err }, 'streamed log.txt upload failed; uploading the file instead');
      await this.abort();
      return false;
    }
  }

  /** Drops the upload: no object is written (nothing to do once complete). Idempotent. */
  async abort(): Promise<void> {
    this.ended = true;
    if (this.completed) return;
    this.aborted = true;
    await this.settled();
    const pending = this.uploadId;
    this.uploadId = undefined;
    if (!pending) return;
    try {
      const UploadId = await pending;
      await this.o.s3.send(new AbortMultipartUploadCommand({ Bucket: this.o.bucket, Key: this.o.key, UploadId }));
    } catch (err) {
      // An incomplete upload is invisible; the bucket's lifecycle rule removes its parts.
      this.o.logger.warn({ err }, 'could not abort the streamed log.txt upload');
    }
  }

  private giveUp(why: string): void {
    this.o.logger.warn({ why }, 'streamed log.txt stopped; the file on disk will be uploaded instead');
    this.failed = true;
  }

  private async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Sends the filling buffer as the next part and switches to the other one. */
  private sendPart(): void {
    const body = this.buffers[this.current]!.subarray(0, this.used);
    this.current = 1 - this.current;
    this.used = 0;
    const partNumber = this.parts.length + 1;
    if (partNumber > 10_000) return this.giveUp('more than 10,000 parts');
    this.uploadId ??= this.o.s3
      .send(new CreateMultipartUploadCommand({ Bucket: this.o.bucket, Key: this.o.key, ContentType: this.o.contentType, Tagging: this.o.tagging }))
      .then((out) => {
        if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
        return out.UploadId;
      });
    const uploadId = this.uploadId;
    const p = (async () => {
      try {
        const out = await this.o.s3.send(new UploadPartCommand({ Bucket: this.o.bucket, Key: this.o.key, UploadId: await uploadId, PartNumber: partNumber, Body: body }));
        this.parts.push({ PartNumber: partNumber, ETag: out.ETag });
      } catch (err) {
        if (!this.failed) this.o.logger.warn({ err, partNumber }, 'streamed log.txt part failed; the file on disk will be uploaded instead');
        this.failed = true;
      }
    })().finally(() => {
      if (this.inFlight === p) this.inFlight = undefined;
      if (!this.failed && !this.ended && this.used >= PART) this.sendPart();
      this.o.onDrain();
    });
    this.inFlight = p;
  }
}

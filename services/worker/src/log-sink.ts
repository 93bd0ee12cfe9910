import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { artifactKeys, artifactTagging, StreamRedactor, untraced, type ArtifactRef, type Logger, type TierName } from '@outpost/shared';
import { LogUpload } from './log-upload.js';

export type LogStream = 'out' | 'err' | 'sys';

export interface LogSinkOptions {
  s3: S3Client;
  bucket: string;
  tenantId: string;
  runId: string;
  /** The run's tier, tagged on each chunk (lifecycle retention). */
  tier: TierName;
  /** First chunk number (chunks of earlier attempts are kept). */
  startSeq: number;
  /** Exact values to redact (the tenant's secrets in use). */
  secrets: readonly string[];
  /** The whole log, on disk (never in memory). */
  file: string;
  /** Called after each chunk upload with the log tail and the chunk count (≤ once per `flushMs`). */
  onProgress: (tail: string, chunks: number) => Promise<void>;
  logger: Logger;
  /** @default 1000 */
  flushMs?: number;
  /** @default 256 KiB */
  chunkBytes?: number;
  /** Live chunks stop after this many bytes; log.txt still gets everything. @default 64 MiB */
  maxLiveBytes?: number;
  /** @default 4096 */
  tailChars?: number;
  /**
   * Also upload log.txt while it is written (log-upload.ts); `keepLog()` completes it when the run
   * ends. @default false (the caller uploads the file after the agent)
   */
  streamLog?: boolean;
}

/**
 * The run's log: every line timestamped and redacted before it goes anywhere, appended to a file
 * on disk (uploaded whole at the end) and shipped to S3 in chunks every second or 256 KiB so a
 * client sees it live. Memory is bounded: when the disk or S3 falls behind, `pressure` is true
 * and the producer pauses the agent's pipes until `drained()` resolves.
 */
export class LogSink {
  private readonly o: Required<Omit<LogSinkOptions, 'streamLog'>>;
  private readonly upload: LogUpload | undefined;
  private readonly redactor: StreamRedactor;
  private readonly out: WriteStream;
  private pending: string[] = [];
  private pendingBytes = 0;
  private tailText = '';
  private seq: number;
  private liveBytes = 0;
  private liveStopped = false;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastProgressAt = 0;
  private lastAppendAt = 0;
  private progressDirty = false;
  private waiters: (() => void)[] = [];
  private closed = false;
  /** Bytes of redacted log written to the file. */
  bytes = 0;

  constructor(options: LogSinkOptions) {
    this.o = { flushMs: 1000, chunkBytes: 256 * 1024, maxLiveBytes: 64 * 1024 * 1024, tailChars: 4096, ...options };
    this.redactor = new StreamRedactor({ secrets: options.secrets });
    this.seq = options.startSeq;
    this.upload = options.streamLog
      ? new LogUpload({
          s3: options.s3,
          bucket: options.bucket,
          key: artifactKeys.artifact(options.tenantId, options.runId, 'log.txt'),
          contentType: 'text/plain; charset=utf-8',
          tagging: artifactTagging(options.tier),
          logger: options.logger,
          onDrain: () => this.wake(),
        })
      : undefined;
    // A large buffer: the agent is paused only when the disk really falls behind.
    this.out = createWriteStream(options.file, { flags: 'a', mode: 0o600, highWaterMark: 1024 * 1024 });
    this.out.on('drain', () => this.wake());
    this.out.on('error', (err) => this.o.logger.error({ err }, 'log file write failed'));
    // Chunk uploads and progress writes are not traced: one span each per second would bury the run's trace.
    this.timer = untraced(() =>
      setInterval(() => {
        this.releaseHeld();
        void this.flush(false);
      }, this.o.flushMs),
    );
    this.timer.unref();
  }

  /** Number of chunks written so far (including earlier attempts'). */
  get chunks(): number {
    return this.seq;
  }

  /** The last few KB of the (redacted) log. */
  get tail(): string {
    return this.tailText;
  }

  /** True when the producer should pause until `drained()`. */
  get pressure(): boolean {
    return this.out.writableNeedDrain || this.pendingBytes > 2 * this.o.chunkBytes || (this.upload?.pressure ?? false);
  }

  drained(): Promise<void> {
    if (!this.pressure) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Appends lines (without newlines) of one stream, all stamped with the current time. */
  append(stream: LogStream, lines: readonly string[]): void {
    if (lines.length === 0 || this.closed) return;
    this.lastAppendAt = Date.now();
    const stamp = `${new Date().toISOString()} ${stream} `;
    let block = '';
    for (const l of lines) block += `${stamp}${l}\n`;
    this.emit(this.redactor.push(block));
    if (this.pendingBytes >= this.o.chunkBytes) void untraced(() => this.flush(false));
  }

  /** Ends the log: the redactor's held tail, the last chunk, the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.emit(this.redactor.flush());
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flush(true);
    this.out.end();
    if (!this.out.closed) await once(this.out, 'close');
    this.wake();
  }

  /**
   * The redactor holds back the end of the stream in case a secret continues in the next push.
   * Our pushes always end at a line end, and secrets are single-line values, so when the agent
   * has gone quiet the held text is released (else its last line would wait for more output).
   */
  private releaseHeld(): void {
    if (this.closed || Date.now() - this.lastAppendAt < this.o.flushMs / 2) return;
    this.emit(this.redactor.flush());
  }

  /** The lease is gone: stop without uploading or recording anything more (the file is just closed). */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.pending = [];
    this.pendingBytes = 0;
    await this.flushing?.catch(() => undefined);
    await this.upload?.abort();
    this.out.end();
    if (!this.out.closed) await once(this.out, 'close');
    this.wake();
  }

  /**
   * After close(): completes the streamed log.txt and returns its artifact; undefined when the log
   * was not streamed or its upload failed (then the caller uploads the file).
   */
  async keepLog(): Promise<ArtifactRef | undefined> {
    if (!this.upload || !(await this.upload.complete())) return undefined;
    return { name: 'log.txt', key: artifactKeys.artifact(this.o.tenantId, this.o.runId, 'log.txt'), bytes: this.upload.bytes };
  }

  /** Drops a streamed log.txt that was not kept (a run that ended early, or was lost). Idempotent. */
  async discardLog(): Promise<void> {
    await this.upload?.abort();
  }

  private emit(text: string): void {
    if (!text) return;
    this.out.write(text);
    this.upload?.write(text);
    this.bytes += Buffer.byteLength(text);
    this.tailText = (this.tailText + (text.length > this.o.tailChars ? text.slice(-this.o.tailChars) : text)).slice(-this.o.tailChars);
    if (this.liveStopped) return;
    this.pending.push(text);
    this.pendingBytes += text.length;
  }

  /** Uploads what is pending as one chunk; one upload at a time (a full buffer starts the next at once). */
  private flush(final: boolean): Promise<void> {
    if (!final && this.flushing) return this.flushing;
    const run = async (): Promise<void> => {
      if (this.flushing) await this.flushing;
      if (this.pendingBytes === 0 && !this.progressDirty && !final) return;
      await this.uploadPending(final);
    };
    const p: Promise<void> = run().finally(() => {
      if (this.flushing === p) this.flushing = undefined;
      if (!final && !this.closed && this.pendingBytes >= this.o.chunkBytes) void this.flush(false);
      this.wake();
    });
    this.flushing = p;
    return p;
  }

  private async uploadPending(final: boolean): Promise<void> {
    if (this.pendingBytes > 0) {
      let body = this.pending.join('');
      this.pending = [];
      this.pendingBytes = 0;
      this.liveBytes += body.length;
      if (this.liveBytes > this.o.maxLiveBytes) {
        this.liveStopped = true;
        body += `${new Date().toISOString()} sys live log stopped after ${Math.round(this.o.maxLiveBytes / 1048576)} MiB; the whole log is in log.txt when the run ends\n`;
      }
      const seq = this.seq++;
      try {
        await this.o.s3.send(
          new PutObjectCommand({
            Bucket: this.o.bucket,
            Key: artifactKeys.logChunk(this.o.tenantId, this.o.runId, seq),
            Body: body,
            ContentType: 'text/plain; charset=utf-8',
            Tagging: artifactTagging(this.o.tier),
          }),
        );
      } catch (err) {
        // The file on disk is the record; a lost live chunk only delays what a client sees.
        this.o.logger.warn({ err, seq }, 'log chunk upload failed');
      }
      this.progressDirty = true;
    }
    const now = Date.now();
    // Throttled to about one write per flush interval; a skipped update is written by a later tick.
    if (final || (this.progressDirty && now - this.lastProgressAt >= this.o.flushMs * 0.8)) {
      this.lastProgressAt = now;
      this.progressDirty = false;
      try {
        await this.o.onProgress(this.tailText, this.seq);
      } catch (err) {
        this.o.logger.warn({ err }, 'log progress write failed');
      }
    }
  }

  private wake(): void {
    if (this.pressure && !this.closed) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

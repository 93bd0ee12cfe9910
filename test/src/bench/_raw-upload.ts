// Baseline for the worker benchmark, in its own process so its RSS is its own: a raw
// @aws-sdk/lib-storage Upload of the same bytes an agent prints (lines of 99 'a's).
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

function vm(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1] ?? '0') * 1024;
}

async function main(): Promise<void> {
  const [endpoint, bucket, key, bytesArg] = process.argv.slice(2);
  const total = Number(bytesArg);
  // The emulators accept only the stack's key pair (the bench passes it in the environment).
  const credentials = { accessKeyId: process.env.OUTPOST_LOCAL_ACCESS_KEY_ID ?? '', secretAccessKey: process.env.OUTPOST_LOCAL_SECRET_ACCESS_KEY ?? '' };
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  const line = `${'a'.repeat(99)}\n`;
  const block = Buffer.from(line.repeat(655)); // ~64 KiB, like a pipe read
  let sent = 0;
  const body = Readable.from(
    (function* () {
      while (sent < total) {
        const n = Math.min(block.length, total - sent);
        sent += n;
        yield n === block.length ? block : block.subarray(0, n);
      }
    })(),
  );
  const before = vm('VmRSS');
  const t0 = performance.now();
  await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: body }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({ seconds, rssBefore: before, rssPeak: vm('VmHWM') })}\n`);
  s3.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});

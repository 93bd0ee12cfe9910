import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { artifactKeys, artifactTagging, type ArtifactName, type ArtifactRef, type TierName } from '@outpost/shared';

export interface ArtifactTarget {
  s3: S3Client;
  bucket: string;
  tenantId: string;
  runId: string;
  /** The run's tier: tagged on every object so the bucket's lifecycle keeps it for the tier's retention. */
  tier: TierName;
}

/** 5 MiB parts, two in flight: the upload's memory is bounded whatever the file size. */
const PART_SIZE = 5 * 1024 * 1024;

/** Streams a file from disk to the run's artifact key (multipart for large files). */
export async function uploadFile(t: ArtifactTarget, name: ArtifactName, file: string, contentType: string): Promise<ArtifactRef> {
  const key = artifactKeys.artifact(t.tenantId, t.runId, name);
  const { size } = await stat(file);
  if (size < PART_SIZE) {
    // One PUT; a read stream needs a known length.
    await t.s3.send(
      new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: createReadStream(file), ContentLength: size, ContentType: contentType, Tagging: artifactTagging(t.tier) }),
    );
  } else {
    await new Upload({
      client: t.s3,
      params: { Bucket: t.bucket, Key: key, Body: createReadStream(file, { highWaterMark: 1024 * 1024 }), ContentType: contentType, Tagging: artifactTagging(t.tier) },
      partSize: PART_SIZE,
      queueSize: 2,
    }).done();
  }
  return { name, key, bytes: size };
}

export async function uploadJson(t: ArtifactTarget, name: ArtifactName, value: unknown): Promise<ArtifactRef> {
  const key = artifactKeys.artifact(t.tenantId, t.runId, name);
  const body = `${JSON.stringify(value, null, 2)}\n`;
  await t.s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: body, ContentType: 'application/json', Tagging: artifactTagging(t.tier) }));
  return { name, key, bytes: Buffer.byteLength(body) };
}

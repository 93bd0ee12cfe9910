import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  artifactKeys,
  parameterPaths,
  secretsFromParameters,
  type ParameterStore,
  type RunRecord,
  type SecretName,
} from '@outpost/shared';
import { NonRetryableError } from './run-errors.js';

/** Where a run's task object and log chunks live. */
export interface RunBucket {
  s3: S3Client;
  bucket: string;
}

/** The tenant's secrets, from the parameter store (name → value; absent names are not set). */
export async function loadSecrets(
  params: ParameterStore,
  env: string,
  tenantId: string,
): Promise<Partial<Record<SecretName, string>>> {
  const prefix = parameterPaths.tenantSecrets(env, tenantId);
  return secretsFromParameters(await params.getByPath(prefix), prefix);
}

/**
 * The run's task: inline on the record, or in the task object the edge wrote. A task that is
 * missing for good is a NonRetryableError (no retry can bring it back).
 */
export async function readTask(where: RunBucket, run: RunRecord): Promise<string> {
  if (run.task !== undefined) return run.task;
  const key = run.taskKey;
  if (!key) throw new NonRetryableError('invalid_job', 'the run has neither a task nor a task object');
  try {
    const out = await where.s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: key }));
    if (!out.Body) throw new NonRetryableError('invalid_job', `the task object ${key} is empty`);
    return await out.Body.transformToString('utf8');
  } catch (err) {
    // The edge writes the object before it queues the run: gone now means deleted, for good.
    if (err instanceof Error && err.name === 'NoSuchKey') throw new NonRetryableError('invalid_job', `the task object ${key} is gone`, { cause: err });
    throw err;
  }
}

/**
 * Chunks of earlier attempts are kept, so this attempt numbers on after them. The run's
 * logChunks can lag the bucket by a second when a worker died, so the bucket decides.
 */
export async function nextChunkSeq(where: RunBucket, run: RunRecord): Promise<number> {
  const prefix = artifactKeys.logChunkPrefix(run.tenantId, run.runId);
  let next = run.logChunks ?? 0;
  let token: string | undefined;
  do {
    const page = await where.s3.send(
      new ListObjectsV2Command({ Bucket: where.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const o of page.Contents ?? []) {
      const seq = Number(/(\d+)\.txt$/.exec(o.Key ?? '')?.[1]);
      if (Number.isInteger(seq)) next = Math.max(next, seq + 1);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return next;
}

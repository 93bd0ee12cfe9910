import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { BaseConfig } from './config.js';

// Outpost supports Node 20 on purpose; the SDK's "Node 22 soon" notice would only add noise to logs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Credentials the emulators accept; never used in aws mode. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface AwsClients {
  dynamo: DynamoDBClient;
  /** Document client over `dynamo`: plain JS values in and out. */
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  s3: S3Client;
  destroy(): void;
}

type ClientSettings = Pick<BaseConfig, 'mode' | 'region' | 'endpoints'>;

/** One client per service, built the same way in both modes; only the endpoint differs. */
export function createAwsClients(config: ClientSettings): AwsClients {
  const local = config.mode === 'local';
  const common = {
    region: config.region,
    ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
    maxAttempts: local ? 2 : 3,
  };
  const dynamo = new DynamoDBClient({ ...common, ...(config.endpoints.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}) });
  const doc = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const sqs = new SQSClient({ ...common, ...(config.endpoints.sqs ? { endpoint: config.endpoints.sqs } : {}) });
  const s3 = new S3Client({
    ...common,
    ...(config.endpoints.s3 ? { endpoint: config.endpoints.s3 } : {}),
    forcePathStyle: local,
  });
  return {
    dynamo,
    doc,
    sqs,
    s3,
    destroy() {
      doc.destroy();
      dynamo.destroy();
      sqs.destroy();
      s3.destroy();
    },
  };
}

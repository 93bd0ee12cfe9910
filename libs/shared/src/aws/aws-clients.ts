import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { state as nodeVersionNotice } from '@aws-sdk/core/client';
import { ConfigError, type BaseConfig } from '../config/config.js';
import { traceAwsClient } from '../telemetry/aws-tracing.js';


export interface AwsClients {
  dynamo: DynamoDBClient;
  /** Document client over `dynamo`: plain JS values in and out. */
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  s3: S3Client;
  destroy(): void;
}

type ClientSettings = Pick<BaseConfig, 'mode' | 'region' | 'endpoints' | 'credentials'>;

/**
 * One client per service, built the same way in both modes; only the endpoint and the
 * credentials differ: in local mode the stack's own key pair (the emulators check SigV4 against
 * it), in aws mode the SDK's default chain (the task role).
 */
export function createAwsClients(config: ClientSettings): AwsClients {
  const local = config.mode === 'local';
  // Outpost supports Node 20 on purpose; the SDK's "Node 22 soon" notice (emitted once, when the
  // first client is built) would only add noise to logs. Marked as shown, not silenced by
  // changing the process's environment.
  nodeVersionNotice.warningEmitted = true;
  if (local && !config.credentials) {
    throw new ConfigError([
      { variable: 'OUTPOST_LOCAL_ACCESS_KEY_ID', message: 'required in local mode: the emulators accept only the stack\'s key pair (npm start sets it; admin commands read .outpost/credentials.json)' },
    ]);
  }
  const common = {
    region: config.region,
    ...(local ? { credentials: { accessKeyId: config.credentials!.accessKeyId, secretAccessKey: config.credentials!.secretAccessKey } } : {}),
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
  // A span per command (no-ops unless startTelemetry turned tracing on); the document client
  // shares the DynamoDB client's middleware stack.
  traceAwsClient(dynamo);
  traceAwsClient(sqs);
  traceAwsClient(s3);
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

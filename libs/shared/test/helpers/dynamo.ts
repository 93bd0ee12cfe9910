import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import dynalite from 'dynalite';
import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients.js';
import { provisionTables } from '../../src/aws/provision.js';
import { tableDefinitions } from '../../src/aws/resources.js';

/** An in-memory dynalite on a free 127.0.0.1 port with every table provisioned under a unique prefix. */
export interface TestDynamo {
  clients: AwsClients;
  prefix: string;
  endpoint: string;
  stop(): Promise<void>;
}

export async function startTestDynamo(options: { path?: string; prefix?: string } = {}): Promise<TestDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prefix = options.prefix ?? `t${randomBytes(4).toString('hex')}`;
  // SQS/S3 endpoints point nowhere useful: shared store tests only touch DynamoDB. This bare
  // dynalite checks no signature (the stack's emulators do, in infra); any key pair will do.
  const credentials = { accessKeyId: 'TESTTESTTESTTEST', secretAccessKey: 'test'.repeat(10) };
  const clients = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: { dynamodb: endpoint, sqs: endpoint, s3: endpoint }, credentials });
  await provisionTables(clients.dynamo, Object.values(tableDefinitions(prefix)));
  return {
    clients,
    prefix,
    endpoint,
    async stop() {
      clients.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

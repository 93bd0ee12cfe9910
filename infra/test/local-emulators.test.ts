import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createAwsClients } from '@outpost/shared';
import { PortInUseError, startEmulators } from '../src/local/index.js';
import { freePort, listenAddresses, LOOPBACK_V4, portInUse } from './helpers/processes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'outpost-emu-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function block(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', () => resolve()));
  return s;
}

describe('startEmulators()', () => {
  it('binds both emulators to 127.0.0.1 and frees the ports on stop', async () => {
    const emulators = await startEmulators({ dataDir: path.join(dir, 'bind') });
    expect(listenAddresses(emulators.ports.dynamo)).toEqual([LOOPBACK_V4]);
    expect(listenAddresses(emulators.ports.sqs)).toEqual([LOOPBACK_V4]);
    await emulators.stop();
    expect(await portInUse(emulators.ports.dynamo)).toBe(false);
    expect(await portInUse(emulators.ports.sqs)).toBe(false);
  });

  it.each([
    ['dynamoPort', 'OUTPOST_DYNAMODB_PORT'],
    ['sqsPort', 'OUTPOST_SQS_PORT'],
  ] as const)('a busy %s is a PortInUseError naming %s; the data dir stays usable in the same process', async (option, variable) => {
    const dataDir = path.join(dir, `busy-${option}`);
    const busy = await freePort();
    const blocker = await block(busy);
    try {
      const err = await startEmulators({ dataDir, [option]: busy }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect(err).toMatchObject({ port: busy, variable });
      expect((err as Error).message).toContain(String(busy));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    // The failed attempt must not keep the LevelDB lock (or a port) behind.
    const emulators = await startEmulators({ dataDir });
    const clients = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: emulators.endpoints, credentials: emulators.credentials });
    try {
      await clients.dynamo.send(new ListTablesCommand({}));
    } finally {
      clients.destroy();
      await emulators.stop();
    }
  });
});

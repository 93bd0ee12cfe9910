import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import dynalite from 'dynalite';
import { buildApp, type BuildAppOptions } from 'fauxqs';
import { type Clock, newLocalCredentials, OutpostError, systemClock } from '@outpost/shared';
import { guardDynalite, guardFauxqs } from './emulator-auth.js';
import { createPersistentS3Store } from './persistent-s3-store.js';
import { makePrivate } from './private-home.js';
import { SigV4Verifier, type StackCredentials } from './sigv4-verifier.js';

/** A port we were told to use is taken; names the variable that changes it. */
export class PortInUseError extends OutpostError {
  override readonly name = 'PortInUseError';
  readonly code = 'config';
  constructor(
    readonly port: number,
    readonly variable: string,
    options?: ErrorOptions,
  ) {
    super(`port ${port} on 127.0.0.1 is already in use; stop what uses it or set ${variable} to another port`, options);
  }
}

export interface EmulatorOptions {
  /** Persist DynamoDB (LevelDB) and S3 objects here; omit for memory only. */
  dataDir?: string;
  /** @default 0 (a free port) */
  dynamoPort?: number;
  /** SQS and S3 share one fauxqs server. @default 0 (a free port) */
  sqsPort?: number;
  /** Variable names reported when a port is taken. */
  portVariables?: { dynamo: string; sqs: string };
  /** @default 'us-east-1' */
  region?: string;
  /** The only key pair whose SigV4 signatures the emulators accept. @default a new random pair */
  credentials?: StackCredentials;
  /** Time for signature dates and presigned expiry. @default systemClock */
  clock?: Clock;
}

export interface Emulators {
  endpoints: { dynamodb: string; sqs: string; s3: string };
  /** The key pair every request must be signed with. */
  credentials: StackCredentials;
  ports: { dynamo: number; sqs: number };
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts dynalite (DynamoDB) and fauxqs (SQS + S3), both bound to 127.0.0.1, both refusing any
 * request not signed (SigV4, header or presigned) with `credentials`: anything on this machine
 * can reach a loopback port, agents included, so the port alone must not be enough.
 */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const credentials = options.credentials ?? newLocalCredentials();
  const region = options.region ?? 'us-east-1';
  const clock = options.clock ?? systemClock;
  const verifier = (services: string[]) => new SigV4Verifier({ credentials, region, services, clock });
  const vars = options.portVariables ?? { dynamo: 'OUTPOST_DYNAMODB_PORT', sqs: 'OUTPOST_SQS_PORT' };
  // dynalite opens its LevelDB as soon as it is created, and a server that never listened cannot
  // close it: probe the ports first so a busy port does not leave the data dir locked.
  if (options.dynamoPort) await probe(options.dynamoPort, vars.dynamo);
  if (options.sqsPort) await probe(options.sqsPort, vars.sqs);
  // The store files name every tenant's runs: only the stack's user may enter the data dir.
  if (options.dataDir) {
    await mkdir(path.join(options.dataDir, 'dynamodb'), { recursive: true, mode: 0o700 });
    await makePrivate(options.dataDir);
  }
  const dyn = dynalite({
    ...(options.dataDir ? { path: path.join(options.dataDir, 'dynamodb') } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  guardDynalite(dyn, verifier(['dynamodb']));
  await listen(dyn, options.dynamoPort ?? 0, vars.dynamo);

  const s3Store = options.dataDir ? await createPersistentS3Store(path.join(options.dataDir, 's3')) : undefined;
  const app = buildApp({
    logger: false,
    ...(options.region ? { defaultRegion: options.region } : {}),
    // fauxqs defaults each store it is not given; only S3 needs to persist.
    ...(s3Store ? { stores: { s3Store } as unknown as NonNullable<BuildAppOptions['stores']> } : {}),
  });
  // fauxqs also answers SNS and STS on this port; only the matching protocol's names pass.
  guardFauxqs(app, verifier(['sqs', 's3', 'sns', 'sts']), () => clock.now());
  const sqsPort = options.sqsPort ?? 0;
  try {
    await app.listen({ port: sqsPort, host: HOST });
  } catch (err) {
    await closeServer(dyn);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(sqsPort, vars.sqs, { cause: err });
    throw err;
  }
  const dynamoPort = (dyn.address() as AddressInfo).port;
  const fauxPort = (app.server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    endpoints: {
      dynamodb: `http://${HOST}:${dynamoPort}`,
      sqs: `http://${HOST}:${fauxPort}`,
      s3: `http://${HOST}:${fauxPort}`,
    },
    credentials,
    ports: { dynamo: dynamoPort, sqs: fauxPort },
    stop() {
      stopped ??= Promise.all([app.close(), closeServer(dyn)]).then(() => undefined);
      return stopped;
    },
  };
}

/** Fails with PortInUseError when 127.0.0.1:port cannot be bound right now. */
function probe(port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, variable, { cause: err }) : err));
    srv.listen(port, HOST, () => srv.close(() => resolve()));
  });
}

function listen(server: Server, port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, variable, { cause: err }) : err);
    };
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // dynalite keeps keep-alive sockets; close them so stop() does not hang.
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

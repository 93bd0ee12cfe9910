import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAwsClients } from '../src/aws/aws-clients.js';
import { ConfigError, loadBaseConfig } from '../src/config/config.js';
import { credentialsPath, LocalCredentials, newLocalCredentials, readLocalCredentials, writeLocalCredentials } from '../src/local/local-credentials.js';
import { endpointsPath, withLocalEndpoints, writeLocalEndpoints } from '../src/local/local-endpoints.js';

const ENDPOINTS = { dynamodb: 'http://127.0.0.1:7401', sqs: 'http://127.0.0.1:7402', s3: 'http://127.0.0.1:7402' };
const LOCAL = { OUTPOST_DYNAMODB_ENDPOINT: ENDPOINTS.dynamodb, OUTPOST_SQS_ENDPOINT: ENDPOINTS.sqs, OUTPOST_S3_ENDPOINT: ENDPOINTS.s3 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'outpost-creds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('local credentials', () => {
  it('newLocalCredentials(): a random AWS-shaped pair, different every time', () => {
    const a = newLocalCredentials();
    expect(LocalCredentials.parse(a)).toEqual(a);
    expect(a.accessKeyId).toMatch(/^OPLK[A-Z2-7]{16}$/);
    expect(a.secretAccessKey).toHaveLength(40);
    expect(newLocalCredentials()).not.toEqual(a);
  });

  it('the services get them from OUTPOST_LOCAL_*: both or neither', () => {
    const pair = newLocalCredentials();
    const config = loadBaseConfig({ ...LOCAL, OUTPOST_LOCAL_ACCESS_KEY_ID: pair.accessKeyId, OUTPOST_LOCAL_SECRET_ACCESS_KEY: pair.secretAccessKey });
    expect(config.credentials).toEqual(pair);
    let err: unknown;
    try {
      loadBaseConfig({ ...LOCAL, OUTPOST_LOCAL_ACCESS_KEY_ID: pair.accessKeyId });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(['OUTPOST_LOCAL_SECRET_ACCESS_KEY']);
    expect(loadBaseConfig({ OUTPOST_MODE: 'aws', OUTPOST_LOCAL_ACCESS_KEY_ID: pair.accessKeyId }).credentials).toBeUndefined();
  });

  it('createAwsClients() in local mode without the pair is a ConfigError (the emulators would refuse every call)', () => {
    expect(() => createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: ENDPOINTS })).toThrow(ConfigError);
    const clients = createAwsClients({ mode: 'aws', region: 'us-east-1', endpoints: {} });
    clients.destroy();
  });

  it('admin commands read credentials.json beside endpoints.json; variables that are set win; a bad file is ignored', async () => {
    const home = path.join(dir, 'admin');
    const pair = newLocalCredentials();
    await writeLocalEndpoints(home, { ...ENDPOINTS, prefix: 'outpost' });
    await writeLocalCredentials(home, pair);
    const filled = withLocalEndpoints({ OUTPOST_HOME: home });
    expect(filled).toMatchObject({ OUTPOST_LOCAL_ACCESS_KEY_ID: pair.accessKeyId, OUTPOST_LOCAL_SECRET_ACCESS_KEY: pair.secretAccessKey, OUTPOST_DYNAMODB_ENDPOINT: ENDPOINTS.dynamodb });
    expect(loadBaseConfig(filled).credentials).toEqual(pair);
    const other = newLocalCredentials();
    expect(withLocalEndpoints({ OUTPOST_HOME: home, OUTPOST_LOCAL_ACCESS_KEY_ID: other.accessKeyId, OUTPOST_LOCAL_SECRET_ACCESS_KEY: other.secretAccessKey })).toMatchObject({
      OUTPOST_LOCAL_ACCESS_KEY_ID: other.accessKeyId,
    });
    await writeFile(credentialsPath(home), 'not json');
    expect(readLocalCredentials(home)).toBeUndefined();
    expect(withLocalEndpoints({ OUTPOST_HOME: home }).OUTPOST_LOCAL_ACCESS_KEY_ID).toBeUndefined();
  });

  it('credentials.json and endpoints.json are written 0600, also over an older 0644 file', async () => {
    const home = path.join(dir, 'modes');
    await writeLocalEndpoints(home, ENDPOINTS);
    await writeFile(credentialsPath(home), '{}', { mode: 0o644 });
    await writeLocalCredentials(home, newLocalCredentials());
    expect(await mode(credentialsPath(home))).toBe(0o600);
    expect(await mode(endpointsPath(home))).toBe(0o600);
    expect(await mode(home)).toBe(0o700);
  });
});

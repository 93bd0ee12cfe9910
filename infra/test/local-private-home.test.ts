import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createAwsClients, credentialsPath, LocalCredentials, writeLocalEndpoints } from '@outpost/shared';
import { startEmulators } from '../src/local/index.js';
import { ensureStackCredentials, makePrivate } from '../src/local/private-home.js';
import { walk } from './helpers/modes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'outpost-home-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('ensureStackCredentials()', () => {
  it('makes a random pair once (0600), and returns the same pair on every later start', async () => {
    const home = path.join(dir, 'creds');
    const first = await ensureStackCredentials(home);
    expect(LocalCredentials.parse(first)).toEqual(first);
    expect(await mode(credentialsPath(home))).toBe(0o600);
    expect(JSON.parse(await readFile(credentialsPath(home), 'utf8'))).toEqual(first);
    expect(await ensureStackCredentials(home)).toEqual(first);
    expect(await ensureStackCredentials(path.join(dir, 'creds-other'))).not.toEqual(first);
  });

  it('replaces a file that is not a key pair', async () => {
    const home = path.join(dir, 'garbage');
    await mkdir(home, { recursive: true });
    await writeFile(credentialsPath(home), '{"accessKeyId":"local","secretAccessKey":"local"}', { mode: 0o644 });
    const made = await ensureStackCredentials(home);
    expect(made.accessKeyId).not.toBe('local');
    expect(await mode(credentialsPath(home))).toBe(0o600);
  });
});

describe('makePrivate()', () => {
  it('closes what an older start left open: every directory 0700, every file 0600; symlinks untouched', async () => {
    const home = path.join(dir, 'open', '.outpost');
    await mkdir(path.join(home, 'data', 'dynamodb'), { recursive: true, mode: 0o755 });
    await chmod(home, 0o755);
    await writeFile(path.join(home, 'local.json'), '{}', { mode: 0o644 });
    await writeFile(path.join(home, 'data', 'dynamodb', '000005.ldb'), 'x', { mode: 0o666 });
    const outside = path.join(dir, 'open', 'outside.txt');
    await writeFile(outside, 'x', { mode: 0o644 });
    await symlink(outside, path.join(home, 'link'));
    expect(await makePrivate(home)).toBe(5);
    expect((await walk(home)).map(({ path: p, mode: m }) => [p, m.toString(8)])).toEqual([
      ['.', '700'],
      ['data', '700'],
      ['data/dynamodb', '700'],
      ['data/dynamodb/000005.ldb', '600'],
      ['local.json', '600'],
    ]);
    expect(await mode(outside)).toBe(0o644);
    expect(await makePrivate(home)).toBe(0);
  });

  it('the files the stack itself writes are private from the start: endpoints.json and the S3 store', async () => {
    const home = path.join(dir, 'fresh');
    await makePrivate(home);
    await writeLocalEndpoints(home, { dynamodb: 'http://127.0.0.1:1', sqs: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:2' });
    const emulators = await startEmulators({ dataDir: path.join(home, 'data') });
    const clients = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: emulators.endpoints, credentials: emulators.credentials });
    try {
      await clients.s3.send(new CreateBucketCommand({ Bucket: 'b' }));
      await clients.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'tenants/t/runs/r/log.txt', Body: 'secret log' }));
    } finally {
      clients.destroy();
      await emulators.stop();
    }
    expect(existsSync(path.join(home, 'data', 's3', 'b'))).toBe(true);
    // LevelDB's own files are created under the umask; their directory is what keeps them private.
    const entries = (await walk(home)).filter((e) => !e.path.startsWith('data/dynamodb/'));
    expect(entries.length).toBeGreaterThan(5);
    for (const e of entries) expect([e.path, e.mode.toString(8)]).toEqual([e.path, e.dir ? '700' : '600']);
    expect(await mode(path.join(home, 'data', 'dynamodb'))).toBe(0o700);
  });
});

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { FileParameterStore, parameterPaths } from '../src/aws/parameter-store.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'outpost-params-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileParameterStore', () => {
  it('puts, gets and lists by path; the file is mode 0600', async () => {
    const file = path.join(dir, 'a', 'secrets.json');
    const store = new FileParameterStore(file);
    expect(await store.get('/x')).toBeUndefined();
    await store.put(parameterPaths.tenantSecret('local', 'ten_1', 'ANTHROPIC_API_KEY'), 'k1', { secure: true });
    await store.put(parameterPaths.tenantSecret('local', 'ten_1', 'OPENAI_API_KEY'), 'k2');
    await store.put(parameterPaths.tenantSecret('local', 'ten_10', 'OPENAI_API_KEY'), 'other');
    expect(await store.get('/outpost/local/tenants/ten_1/ANTHROPIC_API_KEY')).toBe('k1');
    expect(await store.getByPath(parameterPaths.tenantSecrets('local', 'ten_1'))).toEqual({
      '/outpost/local/tenants/ten_1/ANTHROPIC_API_KEY': 'k1',
      '/outpost/local/tenants/ten_1/OPENAI_API_KEY': 'k2',
    });
    // a path without the trailing slash does not match a sibling with a longer name
    expect(Object.keys(await store.getByPath('/outpost/local/tenants/ten_1'))).toHaveLength(2);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('names the parameters under a path that hold a value', async () => {
    const store = new FileParameterStore(path.join(dir, 'names.json'));
    await store.put(parameterPaths.tenantSecret('local', 'ten_1', 'anthropic_api_key'), 'k1');
    await store.put(parameterPaths.tenantSecret('local', 'ten_1', 'openai_api_key'), '');
    await store.put(parameterPaths.tenantSecret('local', 'ten_10', 'gemini_api_key'), 'other');
    expect(await store.names(parameterPaths.tenantSecrets('local', 'ten_1'))).toEqual(['/outpost/local/tenants/ten_1/anthropic_api_key']);
    expect(await store.names(parameterPaths.tenantSecrets('local', 'ten_2'))).toEqual([]);
  });

  it('keeps every value under concurrent puts (no lost update)', async () => {
    const file = path.join(dir, 'concurrent.json');
    const store = new FileParameterStore(file);
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.put(`/p/${i}`, String(i))));
    expect(Object.keys(await store.getByPath('/p/'))).toHaveLength(25);
    // and another instance on the same file sees them
    expect(await new FileParameterStore(file).get('/p/24')).toBe('24');
  });

  it('a corrupt file is an error, not an empty store that the next put would overwrite', async () => {
    const file = path.join(dir, 'corrupt.json');
    await writeFile(file, '{not json');
    const store = new FileParameterStore(file);
    await expect(store.get('/x')).rejects.toThrow();
    await expect(store.put('/x', 'y')).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('{not json');
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FileParameterStore, resolveTiers, UsageError } from '@outpost/shared';
import { parseFleetArgs, setFleetOverride } from '../src/fleet-admin.js';
import { readFleetOverrides, resolveFleetBounds } from '../src/fleet-overrides.js';

describe('fleet overrides', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'outpost-fleet-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes `set pro --min 1 --max 8` to the file store and reads it back', async () => {
    const store = new FileParameterStore(path.join(dir, 'fleet.json'));
    const cmd = parseFleetArgs(['set', 'pro', '--min', '1', '--max', '8']);
    if (cmd.command !== 'set') throw new Error('expected set');
    await setFleetOverride(store, 'test', cmd);
    expect(JSON.parse(await readFile(path.join(dir, 'fleet.json'), 'utf8'))).toEqual({ '/outpost/test/fleet/pro': '{"minWorkers":1,"maxWorkers":8}' });
    const { overrides } = await readFleetOverrides(store, 'test');
    expect(resolveFleetBounds(resolveTiers(), 'pro', overrides.pro)).toMatchObject({ min: 1, max: 8, runsPerWorker: 1 });

    const clear = parseFleetArgs(['set', 'pro', '--max', '-']);
    if (clear.command !== 'set') throw new Error('expected set');
    expect(await setFleetOverride(store, 'test', clear)).toEqual({ minWorkers: 1 });
  });

  it('ignores a malformed override and says why', async () => {
    const store = new FileParameterStore(path.join(dir, 'bad.json'));
    await store.put('/outpost/test/fleet/free', '{"maxWorkers":-1}');
    const { overrides, invalid } = await readFleetOverrides(store, 'test');
    expect(overrides.free).toBeUndefined();
    expect(invalid.free).toMatch(/maxWorkers/);
    expect(resolveFleetBounds(resolveTiers(), 'free', undefined, { invalid: invalid.free })).toMatchObject({ min: 0, max: 2 });
  });

  it('caps local pools', () => {
    expect(resolveFleetBounds(resolveTiers(), 'enterprise', undefined, { localCap: 4 })).toMatchObject({ min: 1, max: 4 });
    expect(resolveFleetBounds(resolveTiers(), 'pro', { minWorkers: 9 }, { localCap: 4 })).toMatchObject({ min: 4, max: 4 });
  });

  it.each([[['set', 'gold', '--min', '1']], [['set', 'pro']], [['set', 'pro', '--min', 'x']], [['nope']]])('refuses %j', (argv) => {
    expect(() => parseFleetArgs(argv)).toThrow(UsageError);
  });

  it('refuses min above max', async () => {
    const store = new FileParameterStore(path.join(dir, 'cross.json'));
    await expect(setFleetOverride(store, 'test', { command: 'set', tier: 'pro', change: { minWorkers: 5, maxWorkers: 2 }, clear: false })).rejects.toThrow(RangeError);
  });
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startHarness, type Harness } from './helpers/harness.js';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../README.md');

/** What the edge tells people and clients about its tools must match the tools it serves. */
describe('mcp-edge docs and instructions', () => {
  let h: Harness;
  let served: string[];
  let instructions: string;

  beforeAll(async () => {
    h = await startHarness();
    const client = await h.client((await h.tenant()).apiKey);
    served = (await client.listTools()).tools.map((t) => t.name);
    instructions = client.getInstructions() ?? '';
  });
  afterAll(async () => h?.close());

  it("the README's opening names every tool the edge serves, and no other", async () => {
    const opening = (await readFile(README, 'utf8')).split('\n## ')[0]!;
    const named = [...opening.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!);
    expect(named.sort()).toEqual([...served].sort());
  });

  it("the server's instructions to clients name every tool", () => {
    for (const tool of served) expect(instructions).toContain(tool);
  });
});

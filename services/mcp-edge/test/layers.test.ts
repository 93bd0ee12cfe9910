import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/** Every relative or package import of each .ts file in a folder of src. */
async function importsOf(folder: string): Promise<{ file: string; from: string }[]> {
  const files = (await readdir(path.join(SRC, folder))).filter((f) => f.endsWith('.ts'));
  const found: { file: string; from: string }[] = [];
  for (const file of files) {
    const text = await readFile(path.join(SRC, folder, file), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)[^;]*?from '([^']+)';/gms)) found.push({ file, from: m[1] as string });
  }
  return found;
}

/** The edge's layers: tools and the dashboard call the domain; the domain calls neither. */
describe('mcp-edge layers', () => {
  it('keeps the domain free of tools, the dashboard and the MCP SDK', async () => {
    const imports = await importsOf('domain');
    expect(imports.length).toBeGreaterThan(10);
    const upward = imports.filter(({ from }) => /^\.\.\/(tools|dashboard|resources|prompts|oauth)\//.test(from) || from.startsWith('@modelcontextprotocol/'));
    expect(upward).toEqual([]);
  });

  it('keeps the tools off the dashboard', async () => {
    const imports = await importsOf('tools');
    expect(imports.filter(({ from }) => from.startsWith('../dashboard/'))).toEqual([]);
  });
});

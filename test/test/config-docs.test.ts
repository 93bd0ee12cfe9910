import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { REPO_ROOT } from '@outpost/infra/local';
import { describeEnv, renderConfigDocs } from '../src/config-docs.js';
import { CONFIG_SECTIONS } from '../src/config-sections.js';

describe('configuration reference', () => {
  it('docs/configuration.md matches the env schemas (run `npm run docs:config` after changing one)', async () => {
    const onDisk = await readFile(path.join(REPO_ROOT, 'docs/configuration.md'), 'utf8');
    expect(onDisk).toBe(renderConfigDocs(CONFIG_SECTIONS));
  });

  it('documents every variable with a description', () => {
    for (const section of CONFIG_SECTIONS) {
      for (const row of describeEnv(section.schema)) {
        expect({ variable: row.name, hasDescription: row.description.length > 0 }).toEqual({ variable: row.name, hasDescription: true });
      }
    }
  });

  it('reads defaults, optionality and types from the schema', () => {
    const rows = describeEnv(
      z.object({
        A: z.enum(['x', 'y']).default('x').describe('a'),
        B: z.coerce.number().int().describe('b'),
        C: z.url().optional().describe('c'),
      }),
    );
    expect(rows).toEqual([
      { name: 'A', type: '`x` \\| `y`', fallback: '`x`', description: 'a' },
      { name: 'B', type: 'integer', fallback: '**required**', description: 'b' },
      { name: 'C', type: 'URL', fallback: 'unset', description: 'c' },
    ]);
  });
});

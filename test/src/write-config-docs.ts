#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '@outpost/infra/local';
import { renderConfigDocs } from './config-docs.js';
import { CONFIG_SECTIONS } from './config-sections.js';

// `npm run docs:config`: regenerates docs/configuration.md from the env schemas.
const file = path.join(REPO_ROOT, 'docs/configuration.md');
await writeFile(file, renderConfigDocs(CONFIG_SECTIONS));
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);

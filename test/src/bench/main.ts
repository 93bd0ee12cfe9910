#!/usr/bin/env node
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A benchmark module: `bench/<name>.js` exporting `run()`, which prints its own report. */
interface BenchModule {
  title: string;
  run(): Promise<Record<string, unknown>>;
}

// `npm run bench [name…]`: every benchmark in this folder, or the named ones, one after another.
async function main(): Promise<void> {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const only = process.argv.slice(2);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.js') && f !== 'main.js' && !f.startsWith('_'));
  const results: Record<string, unknown> = {};
  for (const file of files.sort()) {
    const name = file.replace(/\.js$/, '');
    if (only.length && !only.includes(name)) continue;
    const mod = (await import(path.join(dir, file))) as BenchModule;
    process.stdout.write(`\n== ${mod.title} ==\n`);
    results[name] = await mod.run();
  }
  process.stdout.write(`\n${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

// Image builds install only what one service needs. The root package.json lists every workspace,
// and npm installs each workspace's dependencies (infra's cdktf alone is ~400 MB), so this keeps
// the named workspaces only, drops their devDependencies, and keeps the root devDependencies
// named by --dev (the compiler for the build stage; none for the runtime).
//   node docker/prune-workspaces.mjs [--dev=typescript,turbo,@types/node] <workspace dir>...
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const dev = (args.find((a) => a.startsWith('--dev='))?.slice('--dev='.length) ?? '').split(',').filter(Boolean);
const keep = args.filter((a) => !a.startsWith('--'));
if (!keep.length) throw new Error('name at least one workspace directory');

const edit = (file, fn) => writeFileSync(file, `${JSON.stringify(fn(JSON.parse(readFileSync(file, 'utf8'))), null, 2)}\n`);
edit('package.json', (p) => ({
  ...p,
  workspaces: keep,
  scripts: {},
  devDependencies: Object.fromEntries(Object.entries(p.devDependencies ?? {}).filter(([name]) => dev.includes(name))),
}));
for (const dir of keep) edit(`${dir}/package.json`, (p) => ({ ...p, devDependencies: {} }));

import type { z } from 'zod';

/** One documented group of environment variables: a service's env schema. */
export interface EnvSection {
  title: string;
  /** Who reads these variables. */
  readBy: string;
  schema: z.ZodObject;
}

interface Row {
  name: string;
  type: string;
  fallback: string;
  description: string;
}

/** The rows of a section, from the schema itself (keys are the variable names). */
export function describeEnv(schema: z.ZodObject, skip: ReadonlySet<string> = new Set()): Row[] {
  return Object.entries(schema.shape)
    .filter(([name]) => !skip.has(name))
    .map(([name, field]) => {
      const f = field as z.ZodType;
      const def = f._zod.def as { type: string; defaultValue?: unknown; innerType?: z.ZodType };
      let inner: z.ZodType = f;
      let fallback = 'unset';
      if (def.type === 'default') {
        fallback = `\`${String(typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue)}\``;
        inner = def.innerType ?? f;
      } else if (def.type === 'optional') {
        inner = def.innerType ?? f;
      } else {
        fallback = '**required**';
      }
      return { name, type: typeName(inner), fallback, description: f.description ?? '' };
    });
}

function typeName(schema: z.ZodType): string {
  const def = schema._zod.def as { type: string; entries?: Record<string, string>; format?: string };
  switch (def.type) {
    case 'enum':
      return Object.values(def.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    case 'number':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'pipe':
      return 'JSON';
    case 'string':
      return def.format === 'url' ? 'URL' : 'string';
    default:
      return def.format === 'url' ? 'URL' : def.type;
  }
}

/** docs/configuration.md, generated: every variable of every section. */
export function renderConfigDocs(sections: readonly EnvSection[]): string {
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from the zod env schemas by `npm run docs:config`; a test fails when this file is stale. -->',
    '',
    'Every Outpost process is configured by environment variables, validated at start: a bad value stops the',
    'process with a message naming the variable and what it accepts. `npm start` sets the endpoint variables',
    'itself; in aws mode the task definitions set them.',
    '',
  ];
  const seen = new Set<string>();
  for (const section of sections) {
    const rows = describeEnv(section.schema, seen);
    rows.forEach((r) => seen.add(r.name));
    if (rows.length === 0) continue;
    out.push(`## ${section.title}`, '', `Read by: ${section.readBy}.`, '', '| Variable | Type | Default | Meaning |', '|---|---|---|---|');
    for (const r of rows) out.push(`| \`${r.name}\` | ${r.type} | ${r.fallback} | ${r.description.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  return `${out.join('\n')}`;
}

import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EDGE_VERSION, serverInfo } from '../src/index.js';

// The fields of the MCP Registry's server.json (schema 2025-12-11,
// https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json) that Outpost's
// file uses, with the schema's constraints; strict, so a misspelt field fails instead of vanishing.
const Input = z.strictObject({
  description: z.string().optional(),
  isRequired: z.boolean().optional(),
  isSecret: z.boolean().optional(),
  format: z.enum(['string', 'number', 'boolean', 'filepath']).optional(),
  value: z.string().optional(),
  default: z.string().optional(),
  placeholder: z.string().optional(),
  choices: z.array(z.string()).optional(),
});
const KeyValueInput = Input.extend({ name: z.string().min(1), variables: z.record(z.string(), Input).optional() });
const StreamableHttpRemote = z.strictObject({
  type: z.literal('streamable-http'),
  url: z.string().regex(/^https?:\/\//, 'a remote url starts with http:// or https://'),
  headers: z.array(KeyValueInput).optional(),
  variables: z.record(z.string(), Input).optional(),
});
const ServerJson = z.strictObject({
  $schema: z.literal('https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json'),
  name: z.string().min(3).max(200).regex(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/),
  title: z.string().min(1).max(100).optional(),
  description: z.string().min(1).max(100),
  version: z
    .string()
    .max(255)
    .refine((v) => !/[\^~<>=*]|^latest$|\s|\.x(\.|$)/.test(v), 'a version is one exact release, never a range'),
  websiteUrl: z.url().optional(),
  remotes: z.array(StreamableHttpRemote).min(1),
});

/** `{name}` placeholders of a template string. */
const placeholders = (text: string) => [...text.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);

describe('server.json (for the MCP Registry)', () => {
  const file = ServerJson.parse(JSON.parse(readFileSync(new URL('../../../server.json', import.meta.url), 'utf8')));

  it('matches the registry fields, and the edge it describes', () => {
    expect(file.version).toBe(EDGE_VERSION);
    expect(file.title).toBe(serverInfo().title);
    expect(file.name.split('/')[1]).toBe(serverInfo().name);
    const [remote] = file.remotes;
    expect(new URL(remote!.url.replace(/\{[^}]+\}/g, 'host.invalid')).pathname).toBe('/mcp');
  });

  it('defines every variable its templates use, and marks the key secret', () => {
    for (const remote of file.remotes) {
      for (const name of placeholders(remote.url)) expect(Object.keys(remote.variables ?? {})).toContain(name);
      for (const header of remote.headers ?? []) {
        for (const name of placeholders(header.value ?? '')) expect(Object.keys(header.variables ?? {})).toContain(name);
        if (header.name === 'Authorization') expect(header).toMatchObject({ isSecret: true, variables: { api_key: { isSecret: true } } });
      }
    }
  });

  it('refuses what the registry refuses (the check can fail)', () => {
    const good = JSON.parse(readFileSync(new URL('../../../server.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    expect(ServerJson.safeParse({ ...good, name: 'outpost' }).success).toBe(false);
    expect(ServerJson.safeParse({ ...good, description: 'x'.repeat(101) }).success).toBe(false);
    expect(ServerJson.safeParse({ ...good, version: '^0.1.0' }).success).toBe(false);
    expect(ServerJson.safeParse({ ...good, version: '0.x' }).success).toBe(false);
    expect(ServerJson.safeParse({ ...good, remote: [] }).success).toBe(false);
  });
});

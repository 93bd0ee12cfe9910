import { readFileSync } from 'node:fs';
import type { Implementation } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** The edge's icon: a small SVG, served at /icon.svg and inlined (data: URI) where no URL is known. */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect width="64" height="64" rx="14" fill="#14532d"/>
<path d="M12 46 L32 14 L52 46 Z" fill="none" stroke="#bbf7d0" stroke-width="5" stroke-linejoin="round"/>
<circle cx="32" cy="37" r="5" fill="#bbf7d0"/>
</svg>
`;
export const ICON_PATH = '/icon.svg';
const ICON_DATA_URI = `data:image/svg+xml;base64,${Buffer.from(ICON_SVG).toString('base64')}`;

const PackageJson = z.object({ version: z.string().min(1) });

/** The version of @outpost/mcp-edge (src/ and dist/ both sit beside its package.json). */
export const EDGE_VERSION = PackageJson.parse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))).version;

/**
 * What the edge tells a client about itself in `initialize`. `baseUrl` is the edge's own origin
 * as the client reached it: the dashboard there is the server's website and the icon is served
 * beside it; over stdio there is none, so the icon is inlined and no website is named.
 */
export function serverInfo(baseUrl?: string): Implementation {
  return {
    name: 'outpost',
    title: 'Outpost',
    version: EDGE_VERSION,
    description: 'Hand coding tasks to a fleet of headless coding agents (Claude Code, Codex, Gemini CLI, Aider, Grok) and follow their runs.',
    ...(baseUrl ? { websiteUrl: `${baseUrl}/` } : {}),
    icons: [{ src: baseUrl ? `${baseUrl}${ICON_PATH}` : ICON_DATA_URI, mimeType: 'image/svg+xml', sizes: ['any'] }],
  };
}

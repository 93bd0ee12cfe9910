import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Where the built web app is: OUTPOST_DASHBOARD_DIR, else `dist` of @outpost/dashboard-web. */
export function resolveDashboardDir(override: string | undefined): string {
  if (override) return path.resolve(override);
  try {
    const pkg = createRequire(import.meta.url).resolve('@outpost/dashboard-web/package.json');
    return path.join(path.dirname(pkg), 'dist');
  } catch {
    // Its package.json is not exported, or it is not linked: it sits beside this service.
    return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dashboard-web/dist');
  }
}

/** The built app: index.html for page routes, hashed files under /assets/. */
export class StaticFiles {
  private readonly assetsDir: string;

  constructor(private readonly dir: string) {
    this.assetsDir = path.join(dir, 'assets');
  }

  /** index.html (never cached: it names the current hashed assets), or a 503 saying how to build it. */
  async sendIndex(res: ServerResponse, head: boolean): Promise<void> {
    let html: Buffer;
    try {
      html = await readFile(path.join(this.dir, 'index.html'));
    } catch {
      const text = 'dashboard not built: run npm run build\n';
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
      res.end(head ? undefined : text);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': html.length, 'Cache-Control': 'no-cache' });
    res.end(head ? undefined : html);
  }

  /** A file under /assets/ (`rest` is the URL path after `/assets/`, still encoded); false when there is none. */
  async sendAsset(res: ServerResponse, rest: string, head: boolean): Promise<boolean> {
    const file = this.assetPath(rest);
    if (!file) return false;
    let size: number;
    try {
      const s = await stat(file);
      if (!s.isFile()) return false;
      size = s.size;
    } catch {
      return false;
    }
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': size,
      // Vite names assets by content hash: a name never changes meaning.
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
    if (head) {
      res.end();
      return true;
    }
    await new Promise<void>((resolve) => {
      const stream = createReadStream(file);
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      stream.on('end', () => resolve());
      stream.pipe(res);
    });
    return true;
  }

  /** The file a request names, or undefined when the name is malformed or leaves the assets directory. */
  assetPath(rest: string): string | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rest);
    } catch {
      return undefined;
    }
    if (decoded.length === 0 || decoded.includes('\0') || decoded.includes('\\')) return undefined;
    if (decoded.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')) return undefined;
    const file = path.resolve(this.assetsDir, decoded);
    return file.startsWith(this.assetsDir + path.sep) ? file : undefined;
  }
}

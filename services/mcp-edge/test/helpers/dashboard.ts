import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Signing in and calling the API are the testkit's (the cross-service suites in test/ use them too).
export { api, signIn, type BrowserSession } from '@outpost/testkit';

/** A GET with the path exactly as written (fetch would resolve `..` and `%2e%2e` itself). */
export function rawGet(baseUrl: string, rawPath: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: rawPath, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A stand-in for the built web app: index.html, one hashed asset, and a file outside assets/. */
export async function fakeDashboardDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'outpost-dash-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head><body><div id="root"></div></body></html>');
  await writeFile(path.join(dir, 'assets', 'app-1a2b3c.js'), 'console.log("app");\n');
  await writeFile(path.join(dir, 'assets', 'app-1a2b3c.css'), 'body{margin:0}\n');
  await writeFile(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), 'outside\n');
  await writeFile(path.join(dir, 'secret.txt'), 'not an asset\n');
  return dir;
}

/** Reads an SSE response until `done` says so; returns the events seen (name, data, id). */
export async function readEvents(res: Response, done: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const reader = sseReader(res);
  try {
    return await reader.until(done);
  } finally {
    await reader.close();
  }
}

/** An SSE reader that keeps its place: `until()` reads on until `done` holds of all events so far. Comments are events named `comment`. */
export function sseReader(res: Response): { until(done: (events: SseEvent[]) => boolean): Promise<SseEvent[]>; close(): Promise<void> } {
  const events: SseEvent[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async until(done) {
      while (!done(events)) {
        const { value, done: eof } = await reader.read();
        if (eof) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (block.startsWith(':')) {
            events.push({ event: 'comment', data: block.slice(1).trim() });
            continue;
          }
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const i = line.indexOf(': ');
            if (i > 0) fields[line.slice(0, i)] = line.slice(i + 2);
          }
          if (fields.event) events.push({ event: fields.event, data: JSON.parse(fields.data ?? 'null'), ...(fields.id ? { id: fields.id } : {}) });
        }
      }
      return events;
    },
    async close() {
      await reader.cancel().catch(() => undefined);
    },
  };
}

export interface SseEvent {
  event: string;
  data: any;
  id?: string;
}

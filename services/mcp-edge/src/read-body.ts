import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError } from '@outpost/shared';

/**
 * The body as text, or BodyTooLargeError once it is over `max` bytes. An oversized body is still
 * read to its end (dropping it) so the caller's 413 reaches the client; only past `max + drain`
 * bytes is the request destroyed, and that client sees a reset.
 */
export function readBody(req: IncomingMessage, max: number, drain: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max + drain) {
        reject(new BodyTooLargeError(max));
        req.destroy();
      } else if (size <= max) {
        chunks.push(chunk);
      } else if (chunks.length > 0) {
        chunks.length = 0; // nothing of it will be used: let it go while the rest drains
      }
    });
    req.on('end', () => (size > max ? reject(new BodyTooLargeError(max)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

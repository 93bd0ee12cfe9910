import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError } from '@outpost/shared';
import { sendJsonRpcError } from './answers.js';

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

/** Largest request body accepted on /mcp (a 50,000-character task is at most ~200 KB of UTF-8). */
export const MAX_MCP_BODY_BYTES = 1024 * 1024;
/**
 * How much of a body over MAX_MCP_BODY_BYTES is read (and dropped) before the 413 is sent. A
 * client still sending when the socket closes gets a reset instead of the answer (its kernel drops
 * what it had received), so the rest is read to the end; past this much the connection is cut.
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * The JSON body of an MCP POST, or undefined once it has answered the request itself: 413 for a
 * body over the limit (saying what to do instead), 400 with JSON-RPC's parse error for bad JSON.
 */
export async function readMcpBody(req: IncomingMessage, res: ServerResponse): Promise<{ body: unknown } | undefined> {
  try {
    return { body: JSON.parse(await readBody(req, MAX_MCP_BODY_BYTES, MAX_DRAIN_BYTES)) as unknown };
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      const message = `Request body is larger than ${MAX_MCP_BODY_BYTES} bytes; a task is at most 50,000 characters: put longer material in the repository and point the agent at it`;
      sendJsonRpcError(res, 413, -32600, message);
    } else {
      sendJsonRpcError(res, 400, -32700, 'Parse error');
    }
    return undefined;
  }
}
